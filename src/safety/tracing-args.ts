/**
 * The context of a BTF-attached tracing program (tp_btf, fentry, fexit, fmod_ret, iter): one u64 per
 * argument of the attach target, typed by the kernel's BTF (btf_ctx_access). A pointer argument is a
 * PTR_TO_BTF_ID — the kernel refuses arithmetic other than add/sub on it and checks reads through it
 * against the type, which we do not model, so it is neither a number nor a pointer we can use here;
 * past the last argument (fexit: the return value) nothing is readable. Without the target's BTF the
 * context is not readable at all (errs on the safe side).
 */
import { attachFromSection } from '../ebpf/program.js';
import { KIND, findType, skipMods, typeAt, type Btf } from '../ebpf/btf.js';
import { targetBtf } from '../ebpf/kernel-btf.js';

/** Per 8-byte slot: true for a pointer; undefined when the target or its BTF is unknown. */
export function tracingArgs(section: string | undefined): boolean[] | undefined {
  const a = section ? attachFromSection(section) : undefined;
  if (!a?.btfTarget) return undefined;
  let btf: Btf;
  try { btf = targetBtf(); } catch { return undefined; }
  const typedef = a.btfTarget.kind === 'typedef';
  const id = findType(btf, a.btfTarget.name, typedef ? KIND.TYPEDEF : KIND.FUNC);
  if (id === undefined) return undefined;
  // func → func_proto; typedef btf_trace_<tp> → pointer → func_proto whose first parameter is the tracepoint's data.
  let proto = typedef ? typeAt(btf, skipMods(btf, id)).sizeOrType : typeAt(btf, id).sizeOrType;
  proto = skipMods(btf, proto);
  const p = typeAt(btf, proto);
  if (p.kind !== KIND.FUNC_PROTO) return undefined;
  const isPtr = (t: number): boolean => t !== 0 && typeAt(btf, skipMods(btf, t)).kind === KIND.PTR;
  const args = (typedef ? p.members.slice(1) : p.members).map((m) => isPtr(m.type));
  if (a.expectedAttachType === 'trace_fexit' && p.sizeOrType !== 0) args.push(isPtr(p.sizeOrType));
  return args;
}

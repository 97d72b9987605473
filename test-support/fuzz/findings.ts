/** One broken property, as a fuzz case observed it. */
export interface Finding {
  /** The property, in words. */
  property: string;
  /** Short and stable across inputs that hit the same fault: findings are told apart by it. */
  signature: string;
  /** What happened in this case. */
  detail: string;
}

export const describeFinding = (f: Finding) => `${f.property}: ${f.signature}\n    ${f.detail}`;

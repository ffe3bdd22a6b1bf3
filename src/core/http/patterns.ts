/**
 * The patterns schemas share, by name: a 422 says in words what a value breaking one
 * should look like (core/i18n/validation-messages.ts), instead of showing the expression.
 * A pattern of its own in some schema still gets Ajv's "must match pattern".
 */
export const PATTERNS = {
  /** Text with at least one character that is not white space. */
  notBlank: '\\S',
  /** One word: no white space anywhere. */
  noSpaces: '^\\S+$',
  /** Ids in paths and headers: decimal, no sign, no leading zero, at most 16 digits. */
  id: '^[1-9][0-9]{0,15}$',
  /** An e-mail address; internationalized ones are welcome. */
  emailAddress: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$',
  /** A tenant slug: what X-Tenant and a Host subdomain may name, and what the CLI may create. */
  tenantSlug: '^[a-z0-9][a-z0-9-]{0,62}$',
  /**
   * A workspace slug: lowercase letters, digits and single hyphens, with at least one letter,
   * so a slug never reads as an id where a path takes either (seed 002's `{idOrSlug}`).
   */
  workspaceSlug: '^(?=[a-z0-9-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$',
  /** A workspace's public id, `biz_id` (`ws_` and base64url): how seed 003's paths name some workspaces. */
  bizId: '^ws_[A-Za-z0-9_-]{1,64}$',
  /**
   * An amount of money as a decimal string: up to 11 whole digits and 4 places, no sign
   * ("12.50"); as ten-thousandths, the largest is a safe integer in JavaScript.
   */
  money: '^[0-9]{1,11}([.][0-9]{1,4})?$',
  /** A change of a quantity as a decimal string, signed: "-2.5" takes two and a half away. */
  signedAmount: '^-?[0-9]{1,11}([.][0-9]{1,4})?$',
} as const;
export type PatternName = keyof typeof PATTERNS;

/** The name of a shared pattern, if `pattern` is one. */
export function patternName(pattern: string): PatternName | undefined {
  return (Object.keys(PATTERNS) as PatternName[]).find((name) => PATTERNS[name] === pattern);
}

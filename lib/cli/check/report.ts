// The doctor's output: one `✔ what`, `⚠ what — fix` or `✖ what — fix` line per check, and the tally at the end.
import type { Check, Verdict } from '../fc/verdict';

export class Report {
  private passed = 0;
  private failed = 0;
  private warned = 0;
  private readonly fixes: string[] = [];

  constructor(private readonly out: NodeJS.WritableStream) {}

  private pass(what: string): void {
    this.passed += 1;
    this.out.write(`✔ ${what}\n`);
  }

  private warn(what: string, fix: string): void {
    this.passed += 1;
    this.warned += 1;
    this.out.write(`⚠ ${what} — ${fix}\n`);
  }

  private fail(what: string, fix: string): void {
    this.failed += 1;
    this.fixes.push(fix);
    this.out.write(`✖ ${what} — ${fix}\n`);
  }

  /** Judges `evidence` with each check in order and prints the verdicts (a check with nothing to judge prints none); returns them. */
  judge<Evidence, V extends Verdict>(checks: readonly Check<Evidence, V>[], evidence: Evidence): V[] {
    const verdicts: V[] = [];
    for (const check of checks) {
      const verdict = check(evidence);
      if (verdict === undefined) continue;
      if (verdict.ok && verdict.warning !== undefined) this.warn(verdict.what, verdict.warning);
      else if (verdict.ok) this.pass(verdict.what);
      else this.fail(verdict.what, verdict.fix);
      verdicts.push(verdict);
    }
    return verdicts;
  }

  /** Lines under a check (the runtime's log), indented so they read as part of it. */
  detail(lines: readonly string[]): void {
    for (const line of lines) this.out.write(`    │ ${line}\n`);
  }

  /** Whether a failed check's fix says `words` (e.g. points the reader to the log). */
  advised(words: string): boolean {
    return this.fixes.some((fix) => fix.includes(words));
  }

  get failures(): number {
    return this.failed;
  }

  get warnings(): number {
    return this.warned;
  }

  /** The closing line: what passed, or how many failed; and how many passed with a warning. */
  summary(): string {
    const total = this.passed + this.failed;
    const warnings = this.warned === 0 ? '' : ` (${this.warned} with a warning)`;
    return this.failed === 0 ? `All ${total} checks passed${warnings}.\n` : `${this.failed} of ${total} checks failed${warnings}.\n`;
  }
}

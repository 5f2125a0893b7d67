// Keeps the last lines of a command's output for the journal and the report,
// so a post-incident write-up shows what the failing command said.

export class OutputTail {
  private text = '';
  constructor(private readonly maxLines = 20, private readonly maxChars = 4000) {}

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }

  toString(): string {
    const lines = this.text.replace(/\s+$/, '').split('\n');
    return lines.slice(-this.maxLines).join('\n').slice(-this.maxChars);
  }
}

/**
 * Text from a log, safe to print on a terminal: control characters (an
 * escape sequence in a request path or an exception message) are shown as
 * `\x1b`, never sent to the terminal.
 */
export function printable(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`) : text;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;

import { escapeHtml } from '../../core/http/html.ts';

/** What an area's e-mail says: its lines, and at most one link to act on. */
export interface MailContent {
  subject: string;
  lines: readonly string[];
  action?: { label: string; link: string };
}

/** The e-mail in plain text and HTML, every area's alike; what `enqueueMessage` takes besides its addressing. */
export function composeMessage(content: MailContent): { subject: string; text: string; html: string } {
  const { subject, lines, action } = content;
  const text = [...lines, ...(action ? ['', `${action.label}: ${action.link}`] : []), ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif">',
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(action ? [`<p><a href="${escapeHtml(action.link)}">${escapeHtml(action.label)}</a></p>`] : []),
    '</body></html>',
  ].join('');
  return { subject, text, html };
}

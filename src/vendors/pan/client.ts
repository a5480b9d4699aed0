/**
 * The PAN-OS XML API calls the `pan` client makes, over the shared transport:
 *
 * - `type=user-id` with a `<uid-message>` whose payload `<register>`s or
 *   `<unregister>`s IP-tag entries (runtime state: no commit);
 * - `type=op` `show system info` for health.
 *
 * Every parameter travels in the POST body and the key in the `X-PAN-KEY`
 * header, so nothing secret is ever in a URL (or a proxy's access log).
 * Through Panorama, `target=<serial>` makes Panorama pass the call on to
 * that firewall. Errors are the XML API's `status="error"` answers, mapped
 * to relay codes in our words (see README.md for the codes).
 */
import type { XMLParser } from 'fast-xml-parser';
import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import { Transport } from '../../kernel/upstream/transport.js';
import { PAN_PRODUCT, type PanConfig } from './config.js';

export type UidAction = 'register' | 'unregister';

/** Entries per uid-message: large batches are split so one answer stays small. */
export const MAX_ENTRIES_PER_MESSAGE = 500;

/** Per-entry answers that mean "already as asked" (pan-os-python's `ignore_dup_errors`). */
const IGNORABLE = [/already exists, ignore$/i, /does not exist, ignore unreg$/i];

let parser: Promise<XMLParser> | undefined;
/** The XML parser loads with the first PAN-OS answer, not at import (cold start of every function). */
const xmlParser = (): Promise<XMLParser> => {
  parser ??= import('fast-xml-parser').then(
    ({ XMLParser }) =>
      new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false }),
  );
  return parser;
};

const escapeXml = (s: string): string =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

/** The uid-message for one action on one tag: addresses are canonical, the tag one of ours. */
export function uidMessage(action: UidAction, tag: string, ips: readonly string[]): string {
  const entries = ips
    .map((ip) => `<entry ip="${escapeXml(ip)}"><tag><member>${escapeXml(tag)}</member></tag></entry>`)
    .join('');
  // No `timeout` attribute: a registration lasts until we unregister it (README.md, "Timeouts").
  return `<uid-message><version>1.0</version><type>update</type><payload><${action}>${entries}</${action}></payload></uid-message>`;
}

interface Parsed {
  readonly status: string;
  readonly code: string | undefined;
  /** `<entry ip=… message=…>` answers inside a uid-response. */
  readonly entries: readonly { ip: string; message: string }[];
}

function parse(xml: XMLParser, text: string): Parsed | undefined {
  let doc: unknown;
  try {
    doc = xml.parse(text);
  } catch {
    return undefined;
  }
  const response = (doc as { response?: Record<string, unknown> } | undefined)?.response;
  if (typeof response !== 'object' || response === null) return undefined;
  const status = String(response['@_status'] ?? '');
  const code = response['@_code'] === undefined ? undefined : String(response['@_code']);
  const entries: { ip: string; message: string }[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > 12 || typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      const items = Array.isArray(value) ? value : [value];
      for (const item of items) {
        if (key === 'entry' && typeof item === 'object' && item !== null && '@_message' in item) {
          const e = item as Record<string, unknown>;
          entries.push({ ip: String(e['@_ip'] ?? ''), message: String(e['@_message']) });
        } else {
          walk(item, depth + 1);
        }
      }
    }
  };
  walk(response, 0);
  return { status, code, entries };
}

/**
 * XML API error codes (PAN-OS XML API guide, "API Error Codes") in our words.
 * `where` names the firewall (its serial through Panorama).
 */
export function codeError(code: string | undefined, where: string): RelayError {
  switch (code) {
    case '403':
    case '22':
      return authError(
        `${PAN_PRODUCT} refused the API key${where} (invalid, expired or the session timed out).`,
      );
    case '15':
    case '16':
      return new RelayError(
        'permission denied',
        `${PAN_PRODUCT} denied the operation${where}: the admin role needs XML API User-ID Agent and Operational Requests.`,
      );
    case '7':
      return new RelayError(
        'not found',
        `${PAN_PRODUCT} did not find the vsys or firewall addressed${where}.`,
      );
    case '1':
    case '6':
    case '12':
    case '17':
    case '18':
    case '400':
      return new RelayError(
        'invalid argument',
        `${PAN_PRODUCT} refused the request as malformed${where} (code ${code}).`,
      );
    case '2':
    case '3':
    case '4':
    case '5':
    case '11':
    case '21':
      return new RelayError('internal error', `The ${PAN_PRODUCT} internal error${where} (code ${code}).`);
    case '13':
    case '14':
      return new RelayError(
        'state conflict',
        `${PAN_PRODUCT} could not perform the operation now${where} (code ${code}).`,
      );
    default:
      return new RelayError(
        'unknown',
        `Unexpected error from ${PAN_PRODUCT}${where}${code ? ` (code ${code})` : ''}.`,
      );
  }
}

/** One PAN-OS (or Panorama) management interface for one request. */
export class PanApi {
  private readonly transport: Transport;
  private readonly endpoint: string;

  constructor(
    private readonly cfg: PanConfig,
    ctx: RequestContext,
  ) {
    this.transport = new Transport(
      {
        product: PAN_PRODUCT,
        urlField: 'pan_url',
        baseUrl: cfg.url,
        secrets: [cfg.apiKey],
        ...(cfg.caBundle ? { ca: cfg.caBundle } : {}),
      },
      ctx,
    );
    this.endpoint = `${cfg.url}/api/`;
  }

  /** Registers or unregisters `tag` on `ips` at one firewall (or the `url` itself when `target` is undefined). */
  async userId(
    action: UidAction,
    target: string | undefined,
    tag: string,
    ips: readonly string[],
  ): Promise<void> {
    for (let i = 0; i < ips.length; i += MAX_ENTRIES_PER_MESSAGE) {
      const chunk = ips.slice(i, i + MAX_ENTRIES_PER_MESSAGE);
      const res = await this.call({ type: 'user-id', cmd: uidMessage(action, tag, chunk) }, target, false);
      if (res.status === 'success') continue;
      // Per-entry answers: "already as asked" is success; anything else is a refusal.
      const refused = res.entries.filter((e) => !IGNORABLE.some((re) => re.test(e.message)));
      if (res.entries.length > 0 && refused.length === 0) continue;
      if (refused.length > 0) {
        throw new RelayError(
          'state conflict',
          `${PAN_PRODUCT} refused to ${action} ${refused.length} of ${chunk.length} addresses${this.where(target)} ` +
            `(first: ${refused[0]?.ip}); the firewall's registered-IP limit may be reached.`,
        );
      }
      throw codeError(res.code, this.where(target));
    }
  }

  /** One cheap authenticated call: `show system info` (an Operational Request). */
  async systemInfo(target: string | undefined): Promise<void> {
    const res = await this.call(
      { type: 'op', cmd: '<show><system><info></info></system></show>' },
      target,
      true,
    );
    if (res.status !== 'success') throw codeError(res.code, this.where(target));
  }

  private where(target: string | undefined): string {
    return target ? ` for firewall ${target}` : '';
  }

  private async call(
    params: Record<string, string>,
    target: string | undefined,
    idempotent: boolean,
  ): Promise<Parsed> {
    const form = new URLSearchParams(params);
    if (this.cfg.vsys) form.set('vsys', this.cfg.vsys);
    if (target) form.set('target', target);
    const res = await this.transport.send({
      method: 'POST',
      url: this.endpoint,
      headers: {
        'x-pan-key': this.cfg.apiKey,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/xml',
      },
      body: form.toString(),
      idempotent,
    });
    const parsed = parse(await xmlParser(), res.text);
    // PAN-OS answers a bad key with HTTP 403 and an XML error body: that is bad credentials, not a role problem.
    if (res.status === 403) throw codeError('403', this.where(target));
    if (res.status < 200 || res.status >= 300) throw this.transport.statusError(res);
    if (!parsed)
      throw new RelayError('unknown', `Unexpected response from ${PAN_PRODUCT}: not an XML API answer.`);
    return parsed;
  }
}

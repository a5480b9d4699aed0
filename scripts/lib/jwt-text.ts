/**
 * What the JWT generator prints: the result's shape, the human-readable report
 * (SECRET_KEY/JWT pair, module links, where to store the key) and the help.
 */
import type { ModuleLink } from './module-settings.js';

export interface JwtResult {
  readonly name: string;
  readonly secretKey: string;
  readonly jwt: string;
  /** True when this run generated the SECRET_KEY (it must then be stored in the stage's secret). */
  readonly generatedSecret: boolean;
  /** Claim names in the token (values stay in the token only). */
  readonly fields: readonly string[];
  readonly links: readonly ModuleLink[];
}

const PROJECT_SECRET = (stage: string): string => `vectra-xdr-relay/${stage}/secret-key`;

/** The human-readable report; without `includeSecrets` the pair is left out (it went to --out). */
export function formatText(result: JwtResult, options: { stage?: string; includeSecrets: boolean }): string {
  const stage = options.stage ?? '<stage>';
  const lines = [
    `${result.name}: HS256 token with ${result.fields.length} field(s): ${result.fields.join(', ')}`,
    '',
  ];
  if (options.includeSecrets) lines.push(`SECRET_KEY: ${result.secretKey}`, `JWT: ${result.jwt}`, '');
  if (result.generatedSecret) {
    lines.push(
      'This SECRET_KEY was generated now. The relay reads its key from the stage secret, so either store it there',
      `(aws secretsmanager put-secret-value --secret-id ${PROJECT_SECRET(stage)} --secret-string file://<file with the key>)`,
      'or sign with the key the stack generated:',
      `  aws secretsmanager get-secret-value --secret-id ${PROJECT_SECRET(stage)} --query SecretString --output text | npm run jwt -- --secret-stdin …`,
      '',
    );
  }
  lines.push(
    'Create the module in Cisco XDR (Administration > Integrations) with the relay URL (stack output',
    'RelayUrl) and this JWT as the bearer token. Integrations page per region (module type id):',
    ...result.links.map((l) => `  ${l.region.padEnd(5)} ${l.url}  (${l.typeId})`),
  );
  if (result.links.some((l) => l.placeholder)) {
    lines.push(
      '',
      'Note: these module type ids are placeholders from module_settings.json. Register module_type.json in your',
      'XDR org and pass its id with --module-type-id <uuid>.',
    );
  }
  lines.push(
    '',
    'The JWT is signed, not encrypted: anyone holding it can read the credentials inside. Treat it like a password.',
  );
  return lines.join('\n');
}

export const HELP = `Usage: npm run jwt -- [options]

Builds an HS256 JWT from the fields in module_settings.json ("jwt" map) and prints the
SECRET_KEY/JWT pair with the Cisco XDR module links. Prompts for fields not given as
flags when run in a terminal.

Fields:
  --<field> <value>        any jwt field, e.g. --vectra_url https://brain.example.com
  --set <field>=<value>    same, repeatable

Options:
  --secret <key>           sign with this SECRET_KEY instead of generating one (visible in ps/history)
  --secret-stdin           read the SECRET_KEY from stdin (implies --non-interactive)
  --stage <name>           stage name used in the printed secret commands
  --module-type-id <uuid>  module type id for the links (overrides module_settings.json "region")
  --region <us|eu|apjc>    print only this region's link
  --audience <url>         add an "aud" claim (not needed by tr-05 style relays)
  --expires <span>         add "iat" and "exp", e.g. 90d (tokens do not expire by default)
  --json                   print a JSON object instead of text
  --out <file>             write the JSON (with secrets) to a new file, mode 0600, and keep
                           secrets off stdout
  --non-interactive        never prompt; fail on missing required fields (default when stdin is not a TTY)
  --settings <path>        module_settings.json to use
  -h, --help               this help
`;

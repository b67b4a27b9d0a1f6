import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';
import { durationMs } from '../contract/duration.js';

/** The backend strategies PALIADIN_BACKEND may name (docs/configuration.md). */
export const BACKEND_KINDS = ['local', 'remote', 'aichat', 'disabled'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** How the local backend drives Claude Code (README: The local backend). */
export const LOCAL_DRIVERS = ['stream-json', 'pty', 'acp'] as const;
export type LocalDriver = (typeof LOCAL_DRIVERS)[number];

/** The agents the ACP driver knows how to start, and `command` for any other (docs/local-drivers.md). */
export const ACP_AGENTS = ['claude', 'codex', 'gemini', 'command'] as const;
export type AcpAgentName = (typeof ACP_AGENTS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Strict booleans: a typo like "ture" must fail boot, not silently mean false. */
const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s.length > 0)
    : value;

/** A comma-separated list kept as written (URLs, audiences: case matters there). */
const toRawList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : value;

/** Empty strings in a .env file mean "unset", as they do for most tools. */
const emptyToUndefined = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** A comma-separated list of durations (`5s,5m,2h`) as milliseconds; left as is (and refused) when one is not a duration. */
const toDurations = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const ms = value.split(',').map((s) => durationMs(s.trim()));
  return ms.every((m) => m !== undefined && m > 0) && ms.length > 0 ? ms : value;
};

const isRemote = (e: Env) => e.PALIADIN_BACKEND === 'remote';
const isAichat = (e: Env) => e.PALIADIN_BACKEND === 'aichat';

/**
 * Every environment variable the service reads, with its default and its rule.
 * docs/configuration.md says how they are read; .env.example documents the same list.
 */
export class Env {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @IsNotEmpty()
  HOST = '127.0.0.1';

  // Connections the kernel holds for the app while it is busy accepting others (capped by the kernel's
  // net.core.somaxconn): a burst of new users' connections waits there instead of being dropped.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_LISTEN_BACKLOG = 4096;

  // Listening sockets on PORT (SO_REUSEPORT): Node accepts one connection per socket per event-loop turn,
  // and under a crowd a turn takes 100 ms or more, so a burst of new users needs many (src/http/accept-sockets.ts).
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  PALIADIN_ACCEPT_SOCKETS = 256;

  // Also serve GET /metrics on this port, without auth, for a scraper on a private network (docs/metrics.md).
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (value.trim() === '' ? undefined : Number(value)) : value))
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  PALIADIN_METRICS_PORT?: number;

  // Behind a reverse proxy: whose X-Forwarded-For gives the client address (Express's `trust proxy`).
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (parseTrustProxy(value) ?? value) : value))
  @ValidateBy(
    {
      name: 'isTrustProxy',
      validator: { validate: (v: unknown) => typeof v !== 'string' },
      constraints: [],
    },
    { message: 'must be false, true, a number of proxy hops, or a comma list of proxy addresses or subnets' },
  )
  PALIADIN_TRUST_PROXY: TrustProxy = false;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString()
  @IsNotEmpty()
  PALIADIN_DATA_DIR = './.data';

  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  PALIADIN_ENABLED = true;

  @IsIn(BACKEND_KINDS, { message: `must be one of ${BACKEND_KINDS.join(', ')}` })
  PALIADIN_BACKEND: BackendKind = 'local';

  @Transform(toList)
  @IsEmail({}, { each: true, message: 'must be a comma-separated list of email addresses' })
  PALIADIN_OWNER_EMAILS: string[] = [];

  // The HS256 secret of user tokens. Required in production unless only an identity provider's tokens are
  // taken (PALIADIN_JWT_JWKS_URL); in development a generated secret is kept in the data dir.
  @Transform(emptyToUndefined)
  @ValidateIf((e: Env) => (e.NODE_ENV === 'production' && e.PALIADIN_JWT_JWKS_URL.length === 0) || e.PALIADIN_JWT_SECRET !== undefined)
  @IsDefined({ message: 'must be set in production (or PALIADIN_JWT_JWKS_URL, for tokens of an identity provider only)' })
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  PALIADIN_JWT_SECRET?: string;

  // Asymmetric user tokens (RS256, PS256, ES256, EdDSA) from an identity provider: its JWKS URL(s),
  // comma-separated; file:// serves a local key set in development (npm run token -- --key).
  @Transform(toRawList)
  @Matches(/^(https?:\/\/\S+|file:\/\/\/\S+)$/, { each: true, message: 'must be a comma-separated list of http(s):// (or file:///) URLs' })
  PALIADIN_JWT_JWKS_URL: string[] = [];

  // Checked when set: the `iss` asymmetric tokens must carry, and the `aud` (one of these, comma-separated).
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PALIADIN_JWT_ISSUER?: string;

  @Transform(toRawList)
  @IsString({ each: true })
  PALIADIN_JWT_AUDIENCE: string[] = [];

  // How far `exp` and `nbf` may be off the clock.
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600)
  PALIADIN_JWT_CLOCK_SKEW_S = 30;

  // The claims that name the user of an asymmetric token. A user id that is not a UUID becomes
  // the UUIDv5 of iss and it (docs/api.md, "Tokens from an identity provider").
  @Matches(/^[A-Za-z0-9_.:/-]{1,100}$/, { message: 'must be a claim name' })
  PALIADIN_JWT_USER_ID_CLAIM = 'sub';

  @Matches(/^[A-Za-z0-9_.:/-]{1,100}$/, { message: 'must be a claim name' })
  PALIADIN_JWT_EMAIL_CLAIM = 'email';

  // Fetching the JWKS: the wait for an answer, the least time between two fetches (a stream of unknown
  // `kid`s cannot make the gateway hammer the provider), and how old a fetched set may get before it is fetched again.
  @Type(() => Number)
  @IsInt()
  @Min(100)
  PALIADIN_JWKS_TIMEOUT_MS = 5000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  PALIADIN_JWKS_COOLDOWN_MS = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  PALIADIN_JWKS_MAX_AGE_MS = 600_000;

  // prefix + "-" + 8 hex must still fit the 64-character session-name rule.
  @Matches(/^[A-Za-z0-9_.-]{1,55}$/, { message: 'must be 1-55 characters of A-Z a-z 0-9 _ . -' })
  PALIADIN_SESSION_PREFIX = 'paliad-paliadin';

  @IsString()
  @IsNotEmpty()
  PALIADIN_AGENT_COMMAND = 'claude';

  // Extra arguments for the agent, split on whitespace (no shell is involved).
  @IsString()
  PALIADIN_AGENT_ARGS = '';

  // The agent's working directory; default <data dir>/workspace.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PALIADIN_AGENT_CWD?: string;

  // Where named sessions' workspaces live (POST /api/sessions {workspace}); default <data dir>/workspaces.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PALIADIN_WORKSPACES_DIR?: string;

  // HOME for the agent (its ~/.claude config, skills, login); default: this process's HOME.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PALIADIN_AGENT_HOME?: string;

  // How long a new pane may take to show the agent's prompt.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_AGENT_START_TIMEOUT_MS = 30_000;

  // Live agent panes (one per user); beyond it the least recently used idle pane is closed.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_MAX_PANES = 8;

  // stream-json: one headless Claude Code per agent session, answers streamed as they are written.
  // pty: the agent in a pseudo-terminal, answers read from answer files.
  // acp: any agent speaking the Agent Client Protocol (PALIADIN_ACP_AGENT), one process per agent session.
  @IsIn(LOCAL_DRIVERS, { message: `must be one of ${LOCAL_DRIVERS.join(', ')}` })
  PALIADIN_LOCAL_DRIVER: LocalDriver = 'stream-json';

  // acp: which agent: claude (the Claude Agent SDK's ACP adapter), codex (codex-acp), gemini
  // (gemini --acp), or command (PALIADIN_ACP_COMMAND with PALIADIN_ACP_ARGS).
  @IsIn(ACP_AGENTS, { message: `must be one of ${ACP_AGENTS.join(', ')}` })
  PALIADIN_ACP_AGENT: AcpAgentName = 'claude';

  // acp with PALIADIN_ACP_AGENT=command: the agent's executable (a path, or a name on PATH).
  @Transform(emptyToUndefined)
  @ValidateIf((e: Env) => e.PALIADIN_LOCAL_DRIVER === 'acp' && e.PALIADIN_ACP_AGENT === 'command')
  @IsDefined({ message: 'must be set when PALIADIN_ACP_AGENT=command' })
  @IsString()
  PALIADIN_ACP_COMMAND?: string;

  // acp: arguments for the agent, split on whitespace (no shell is involved); after a known agent's own.
  @IsString()
  PALIADIN_ACP_ARGS = '';

  // stream-json: an agent process idle this long is stopped (its conversation resumes on the next turn).
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_AGENT_IDLE_MS = 600_000;

  // stream-json: the built-in Claude Code tools the agent has at all (comma list); no Bash unless listed.
  @Matches(/^\s*([A-Za-z][A-Za-z0-9_]*\s*(,\s*|$))*$/, { message: 'must be a comma-separated list of tool names' })
  PALIADIN_AGENT_TOOLS = 'Read,Glob,Grep,Edit,Write';

  // stream-json: the permission rules the agent may use without asking (comma list); everything
  // else is refused. {workspace} is the agent session's own working directory.
  @IsString()
  PALIADIN_AGENT_ALLOW = 'Read({workspace}/**),Edit({workspace}/**)';

  // stream-json: permission rules that need a person's yes (comma list, same form as the allow
  // rules): the turn asks its caller and waits (docs/requests.md). Ask wins over allow.
  @IsString()
  PALIADIN_AGENT_ASK = '';

  // stream-json: permission rules refused without asking; deny wins over ask and allow.
  @IsString()
  PALIADIN_AGENT_DENY = '';

  // How long a request (a permission, a question, a client tool call) waits for its answer;
  // then it resolves by timeout (a permission is denied) and the turn goes on.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_REQUEST_TIMEOUT_MS = 600_000;

  // auto: development without Anthropic credentials uses the built-in demo model. off: never.
  @IsIn(['auto', 'off'], { message: 'must be auto or off' })
  PALIADIN_DEMO_MODEL: 'auto' | 'off' = 'auto';

  // Passed to the agent (local backend) when set; either one counts as "credentials configured".
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  ANTHROPIC_API_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  ANTHROPIC_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PALIADIN_RESPONSE_DIR?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_RESPONSE_WAIT_MS = 60_000;

  @Transform(emptyToUndefined)
  @ValidateIf(isRemote)
  @IsDefined({ message: 'must be set when PALIADIN_BACKEND=remote' })
  @IsString()
  PALIADIN_REMOTE_HOST?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PALIADIN_REMOTE_PORT = 22022;

  @Transform(emptyToUndefined)
  @ValidateIf(isRemote)
  @IsDefined({ message: 'must be set when PALIADIN_BACKEND=remote' })
  @IsString()
  PALIADIN_REMOTE_USER?: string;

  @Transform(emptyToUndefined)
  @ValidateIf(isRemote)
  @IsDefined({ message: 'must be set when PALIADIN_BACKEND=remote' })
  @IsString()
  PALIADIN_REMOTE_KEY_PATH?: string;

  @Transform(emptyToUndefined)
  @ValidateIf(isRemote)
  @IsDefined({ message: 'must be set when PALIADIN_BACKEND=remote' })
  @IsString()
  PALIADIN_REMOTE_KNOWN_HOSTS?: string;

  @Transform(emptyToUndefined)
  @ValidateIf(isAichat)
  @IsDefined({ message: 'must be set when PALIADIN_BACKEND=aichat' })
  @IsString()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  PALIADIN_AICHAT_URL?: string;

  @Transform(emptyToUndefined)
  @ValidateIf(isAichat)
  @IsDefined({ message: 'must be set when PALIADIN_BACKEND=aichat' })
  @IsString()
  PALIADIN_AICHAT_TOKEN?: string;

  @IsString()
  @IsNotEmpty()
  PALIADIN_AICHAT_PERSONA = 'paliadin';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PALIADIN_AICHAT_JWT_SECRET?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_AICHAT_JWT_TTL_S = 300;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_AICHAT_TIMEOUT_MS = 130_000;

  // true: turns stream from /chat/turn/stream; false: one-shot /chat/turn.
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  PALIADIN_AICHAT_STREAM = true;

  // Remote and aichat backends: how long a health probe may take (also the gate before a turn); then it counts as failed.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_HEALTH_TIMEOUT_MS = 3_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_THINKING_INTERVAL_MS = 5_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_SILENCE_TIMEOUT_MS = 90_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_STREAM_DEADLINE_MS = 1_800_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_ONESHOT_TIMEOUT_MS = 150_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_PING_INTERVAL_MS = 25_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_RECOVERY_GIVEUP_MS = 720_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_JANITOR_INTERVAL_MS = 10_000;

  // How often a running turn's row proves its runner alive; 3 missed beats and the janitor ends it.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_RUNNER_HEARTBEAT_MS = 5_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_MAX_INFLIGHT_PER_USER = 4;

  // Requests per minute per client on POST routes (@nestjs/throttler, per instance).
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_POST_RATE_LIMIT = 60;

  // How often a turn waiting for its agent session (another turn of it is running) looks again;
  // the end of the turn before it wakes it at once (a NOTIFY names it), so this is a fallback.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_QUEUE_POLL_MS = 500;

  // Turns this instance runs at once; beyond it POST turn answers 503 with Retry-After.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_MAX_LIVE_TURNS = 2_500;

  // Database connections this instance keeps (one pool), and how long a request waits for one
  // before it is answered 503 with Retry-After.
  @Type(() => Number)
  @IsInt()
  @Min(2)
  PALIADIN_DB_POOL_SIZE = 20;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_DB_POOL_WAIT_MS = 5_000;

  // A transaction left idle this long is ended by Postgres, its locks released: an instance that
  // froze mid-transaction (paused, swapped out) cannot hold up the others for ever.
  @Type(() => Number)
  @IsInt()
  @Min(100)
  PALIADIN_DB_IDLE_TX_TIMEOUT_MS = 30_000;

  // How long a running turn keeps retrying writes the database fails for a passing reason
  // before it is given up (ended `interrupted`, or left to the janitor).
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_DB_RETRY_MS = 30_000;

  // How long a graceful stop (SIGINT, SIGTERM) may take before the process exits without
  // waiting for the rest; a second signal exits at once.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_SHUTDOWN_TIMEOUT_MS = 30_000;

  // Turns finished longer ago than this keep only meta, the answer as one content event, and
  // their last terminal event. 0 keeps every event for ever.
  @Type(() => Number)
  @IsInt()
  @Min(0)
  PALIADIN_EVENT_RETENTION_DAYS = 30;

  // Webhooks (docs/webhooks.md). Endpoints on loopback, private and link-local addresses are refused
  // (at creation and at every delivery, after DNS) unless this is true.
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  PALIADIN_WEBHOOK_ALLOW_PRIVATE = false;

  // The key webhook secrets are sealed with at rest (AES-256-GCM, derived with HKDF); default: derived
  // from PALIADIN_JWT_SECRET (or development's generated one). Set it before rotating the JWT secret;
  // required in production when there is no PALIADIN_JWT_SECRET.
  @Transform(emptyToUndefined)
  @ValidateIf(
    (e: Env) =>
      (e.NODE_ENV === 'production' && e.PALIADIN_JWT_SECRET === undefined && e.PALIADIN_JWT_JWKS_URL.length > 0) || e.PALIADIN_WEBHOOK_KEY !== undefined,
  )
  @IsDefined({ message: "must be set in production when PALIADIN_JWT_SECRET is not (it seals the webhooks' secrets)" })
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  PALIADIN_WEBHOOK_KEY?: string;

  // How long one delivery attempt may take before it counts as failed.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PALIADIN_WEBHOOK_TIMEOUT_MS = 15_000;

  // The waits before each retry of a failed delivery; after the last one the message is given up.
  @Transform(toDurations)
  @ValidateBy({
    name: 'durations',
    validator: { validate: (v: unknown) => Array.isArray(v), defaultMessage: () => 'must be a comma-separated list of durations like 5s,5m,2h' },
  })
  PALIADIN_WEBHOOK_RETRY_SCHEDULE: number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000];

  // How often each instance looks for due deliveries besides being woken by new messages.
  @Type(() => Number)
  @IsInt()
  @Min(10)
  PALIADIN_WEBHOOK_POLL_MS = 1_000;
}

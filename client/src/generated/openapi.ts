// Generated from the service's OpenAPI document by scripts/generate-types.mjs: do not edit.

export interface paths {
    "/api/admin/paliadin/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Aggregate turn statistics
         * @description *_24h, by_error_code and duration_ms cover the last 24 hours; by_classifier_tag, by_backend and top_tools the last 7 days; turns_per_day 14 UTC days, today last (docs/api.md in the repository).
         */
        get: operations["AdminController_getStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/paliadin/turns": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The newest turns of all users */
        get: operations["AdminController_turns"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/webhooks/failing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every user's webhooks that fail or were disabled
         * @description Worst first: disabled endpoints, then by deliveries whose last attempt failed; with the latest failure.
         */
        get: operations["WebhooksAdminController_failing"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's turns of one browser session, oldest first */
        get: operations["TurnsController_history"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End the caller's agent session; the next turn starts a fresh one */
        post: operations["TurnsController_reset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/stream/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The turn as Server-Sent Events
         * @description Events meta, thinking, content, end, error (id = seq) and ping (no id). Reconnect with Last-Event-ID (or ?last_event_id=) to get every later event exactly once. A finished turn replays and closes.
         */
        get: operations["TurnsController_open"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/turn": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a turn
         * @description The turn runs detached from this request; read it from sse_url.
         */
        post: operations["TurnsController_start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/turns/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["TurnsController_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/turns/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stop a running turn
         * @description A finished turn is left as it is; the row is returned either way.
         */
        post: operations["TurnsController_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/turns/{id}/recover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The turn plus recovery_state: recovered, pending or lost */
        get: operations["TurnsController_recover"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/turns/{id}/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The turn's requests, open and resolved
         * @description Scope: paliadin:read or sessions:read. Oldest first. The turn stream shows each as it is made (permission, question, client_tool) and resolved (resolved).
         */
        get: operations["RequestsController_ofTurn"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/paliadin/turns/{id}/requests/{request_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Answer a request
         * @description Scope: paliadin:turn or sessions:execute. Permission: {decision: allow_once | allow_always | deny, message?}; question: {answers: {"<question>": "<label>" | ["<label>", ...]}}; client tool: {output, is_error?}. The answer is stored, then the agent goes on (on whichever instance runs the turn). The same answer again is a 200; a different one after the request was resolved is 409 REQUEST_RESOLVED with the stored request. 400 names the field that does not fit the kind or the options offered.
         */
        post: operations["RequestsController_answer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your sessions, newest first (admins: everyone’s, or one user’s)
         * @description Scope: sessions:read.
         */
        get: operations["SessionsController_list"];
        put?: never;
        /**
         * Create a session
         * @description Scope: sessions:execute. 409 SESSION_EXISTS when you have an active session of that name.
         */
        post: operations["SessionsController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{sid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One session
         * @description Scope: sessions:read. Another user’s session is a 404 (admins see all).
         */
        get: operations["SessionsController_get"];
        put?: never;
        post?: never;
        /**
         * Force-terminate a session (admins)
         * @description Scope: admin (or an owner’s token). 400 when it is not active.
         */
        delete: operations["SessionsController_terminate"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{sid}/checkin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the session
         * @description Scope: sessions:execute. Cancels its running turn and stops its agent; 400 when it is not active.
         */
        post: operations["SessionsController_checkin"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{sid}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The session as Server-Sent Events
         * @description Scope: sessions:read. `session` (status changes) and `turn` (a turn began) with id N, then each turn's events (content, thinking, tool, end, error, with turn_id) with id N.M. Resume with Last-Event-ID (or ?last_event_id=); an ended session replays and closes.
         */
        get: operations["SessionsController_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{sid}/exec": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run a turn in the session
         * @description Scope: sessions:execute. The same durable turn pipeline as POST /api/paliadin/turn: read sse_url, cancel and recover as any turn. One turn at a time per session; later ones wait their turn.
         */
        post: operations["SessionsController_exec"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{sid}/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A session's requests
         * @description Scope: sessions:read. status=open (default): the requests its turns wait on now; all: the newest 200. Oldest first. Admins see every session.
         */
        get: operations["RequestsController_ofSession"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{sid}/screen": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The agent's terminal now
         * @description Scope: sessions:read. The local pty driver and the remote backend have one; the others answer 409 NO_TERMINAL (read the events instead). 409 NO_SCREEN while the session's agent is not running (here); 400 when the session has ended.
         */
        get: operations["SessionsController_screen"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{sid}/screen/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The agent's terminal as Server-Sent Events
         * @description Scope: sessions:read. `screen` events (the shape of GET …/screen) whenever it changed, at most 10 a second; not stored, no id; pings while idle; closes when the session ends. 409 NO_TERMINAL for drivers without a terminal.
         */
        get: operations["SessionsController_screenStream"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's webhooks
         * @description Secrets are never shown again; failing counts deliveries whose last attempt failed.
         */
        get: operations["WebhooksController_list"];
        put?: never;
        /**
         * Register a webhook
         * @description Signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). The secret is in this answer only. all_users (every user's events) needs an owner or an admin key; an API key needs paliadin:read for turn.* and request.created, sessions:read for session.ended. 400 names the field: a url that is not http(s), or whose host is private, loopback or link-local.
         */
        post: operations["WebhooksController_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One webhook */
        get: operations["WebhooksController_get"];
        put?: never;
        post?: never;
        /**
         * Remove a webhook
         * @description Its pending deliveries go with it.
         */
        delete: operations["WebhooksController_remove"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A webhook's delivery attempts, newest first
         * @description Each attempt with its status and code; the next attempt when one is due.
         */
        get: operations["WebhooksController_deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a webhook.test event now
         * @description Delivered, signed and retried like any other message; see its deliveries.
         */
        post: operations["WebhooksController_test"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in a browser: sets the HttpOnly stream cookie from the bearer token (a user JWT; API keys are refused) */
        post: operations["SessionController_signIn"];
        /** Sign out a browser: clears the stream cookie */
        delete: operations["SessionController_signOut"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["HealthController_check"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (text format)
         * @description For an owner or an admin API key. A scraper on a private network can use PALIADIN_METRICS_PORT instead, without auth (docs/metrics.md).
         */
        get: operations["MetricsController_scrape"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AdminTurnRowDto: {
            backend: string;
            chip_count: number;
            classifier_tag: string | null;
            duration_ms: number | null;
            error_code: string | null;
            /** Format: date-time */
            finished_at: string | null;
            page_origin: string | null;
            response: string | null;
            rows_seen: number[];
            session_id: string;
            /** Format: date-time */
            started_at: string;
            /** Format: uuid */
            turn_id: string;
            used_tools: string[];
            user_email: string | null;
            /** Format: uuid */
            user_id: string;
            user_message: string;
        };
        AgentQuestionData: {
            header?: string;
            multi_select: boolean;
            options: components["schemas"]["QuestionOptionData"][];
            question: string;
        };
        AnswerRequestDto: {
            /**
             * @description Question requests: {"<question>": "<label>"} or, multi-select, {"<question>": ["<label>", ...]}; every question answered
             * @example {
             *       "Which format?": "PDF"
             *     }
             */
            answers?: {
                [key: string]: string | string[];
            };
            /**
             * @description Permission requests
             * @enum {string}
             */
            decision?: "allow_once" | "allow_always" | "deny";
            /** @description Client tool requests: the tool failed (the agent is told so) */
            is_error?: boolean;
            /** @description Permission requests: told to the agent with a deny */
            message?: string;
            /**
             * @description Client tool requests: the tool result, a string or any JSON, at most 256 KB
             * @example Case 42 is open in the browser
             */
            output?: string | number | boolean | Record<string, unknown> | unknown[];
        };
        CheckinDto: {
            message: string;
            /** Format: uuid */
            session_id: string;
            /** @example ended */
            status: string;
        };
        ClientToolDto: {
            /** @example Opens a case page in the user’s browser */
            description: string;
            /**
             * @description JSON Schema of the input (type: object); the agent’s input is validated against it before you are asked
             * @example {
             *       "type": "object",
             *       "properties": {
             *         "case_id": {
             *           "type": "integer"
             *         }
             *       },
             *       "required": [
             *         "case_id"
             *       ]
             *     }
             */
            input_schema: {
                [key: string]: unknown;
            };
            /** @example open_case */
            name: string;
        };
        ClientToolEventData: {
            /** Format: date-time */
            expires_at: string;
            /**
             * @description Its input, valid against the declared schema
             * @example {
             *       "case_id": 42
             *     }
             */
            input: Record<string, unknown>;
            /**
             * @description A tool the caller declared (client_tools)
             * @example open_case
             */
            name: string;
            /** Format: uuid */
            request_id: string;
        };
        ContentEventData: {
            /** @description Streaming backends: the next piece of the answer */
            delta?: string;
            streamed?: boolean;
            /** @description One-shot backends: the whole answer */
            text?: string;
        };
        CreatedSessionDto: {
            /** @description The agent session name the backend uses */
            agent_session: string;
            /** @description The agent’s own conversation id, where the driver has one */
            agent_session_id?: string;
            backend: string;
            /** @description The names of the client tools it declared */
            client_tools?: string[];
            /** Format: date-time */
            created_at: string;
            /** @description The user id, or the API key id that created it */
            created_by: string;
            driver: string | null;
            /** Format: date-time */
            ended_at?: string;
            /** Format: date-time */
            expires_at: string | null;
            /** @description Rules its user granted with allow_always, for the rest of the session */
            grants?: string[];
            /** Format: uuid */
            id: string;
            instructions: components["schemas"]["SessionInstructionsDto"];
            /** Format: date-time */
            last_activity_at: string;
            name: string;
            /** @description Rules it added at creation */
            permissions?: components["schemas"]["SessionPermissionsDto"];
            /** Format: uuid */
            running_turn_id?: string;
            /** @enum {string} */
            status: "active" | "ended" | "expired" | "terminated";
            turns: number;
            /** @description The user’s email */
            user_email: string;
            /** Format: uuid */
            user_id: string;
            workspace: string | null;
        };
        CreatedWebhookDto: {
            all_users: boolean;
            /** Format: date-time */
            created_at: string;
            description: string | null;
            disabled_reason: string | null;
            /** @description false once the endpoint answered 410 Gone */
            enabled: boolean;
            events: ("turn.completed" | "turn.failed" | "turn.late_answer" | "session.ended" | "request.created")[];
            /** @description Deliveries whose last attempt failed (waiting for a retry, or given up) */
            failing: number;
            /** Format: uuid */
            id: string;
            /**
             * @description The signing secret (whsec_...): shown this once, never again
             * @example whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
             */
            secret: string;
            url: string;
        };
        CreateSessionDto: {
            /** @description Tools the agent may call that you run yourself (stream-json driver): each call is a `client_tool` request on the stream */
            client_tools?: components["schemas"]["ClientToolDto"][];
            /**
             * @description A duration like 90m, 24h or 7d; at most 30 days; default 24h
             * @example 24h
             */
            expires_in?: string;
            /**
             * @description Unique among your active sessions; `default` is reserved
             * @example ci-bot
             */
            name?: string;
            /** @description Rules added to the deployment’s for this session’s agent (stream-json driver); `allow` only by admins */
            permissions?: components["schemas"]["SessionPermissionsDto"];
            /**
             * @description The agent’s working directory: a name under PALIADIN_WORKSPACES_DIR (created on demand)
             * @example project-x
             */
            workspace?: string;
        };
        CreateTurnDto: {
            /** @description Tools the agent may call that you run yourself (stream-json driver): each call is a `client_tool` request on the stream */
            client_tools?: components["schemas"]["ClientToolDto"][];
            context?: components["schemas"]["TurnContextDto"];
            page_origin?: string;
            /** @description The browser session; a fresh uuid when missing */
            session_id?: string;
            /** @example Welche Fälle sind diese Woche fällig? */
            user_message: string;
        };
        CreateWebhookDto: {
            /**
             * @description Every user's events, not only the caller's: owners and admin keys only
             * @default false
             */
            all_users?: boolean;
            description?: string;
            /**
             * @example [
             *       "turn.completed",
             *       "turn.failed"
             *     ]
             */
            events: ("turn.completed" | "turn.failed" | "turn.late_answer" | "session.ended" | "request.created")[];
            /**
             * @description http or https; not a private, loopback or link-local address
             * @example https://ci.example.com/paliadin-hook
             */
            url: string;
        };
        DayCountDto: {
            /**
             * @description UTC day
             * @example 2026-11-21
             */
            day: string;
            errors: number;
            turns: number;
        };
        DeliveryAttemptDto: {
            /** Format: date-time */
            at: string;
            /** @description 0: not tried yet */
            attempt: number;
            error?: string;
            /** @example turn.completed */
            event: string;
            /** @example msg_2b8f0c7e6c1d4e0f9a3b5c7d9e1f2a3b */
            message_id: string;
            /**
             * Format: date-time
             * @description When the next attempt is due, on the latest attempt of a delivery still pending
             */
            next_attempt_at?: string;
            response_code?: number;
            /** @enum {string} */
            status: "pending" | "delivered" | "retry" | "failed" | "disabled";
        };
        DeliveryListDto: {
            deliveries: components["schemas"]["DeliveryAttemptDto"][];
        };
        DurationStatsDto: {
            max: number | null;
            /** @description median duration of turns started in the last 24 h */
            p50: number | null;
            p95: number | null;
        };
        EndEventData: {
            aichat_conversation_id?: string;
            chip_count: number;
            classifier_tag: string;
            duration_ms: number;
            /** @description Model calls the agent made for this turn (stream-json) */
            num_turns?: number;
            rows_seen: number[];
            /**
             * @description Why the answer stopped short, where the agent says so (ACP)
             * @example max_tokens
             */
            stop_reason?: string;
            streamed?: boolean;
            /** Format: uuid */
            turn_id: string;
            /** @description What the model consumed, where the driver reports it */
            usage?: components["schemas"]["UsageData"];
            used_tools: string[];
        };
        ErrorEnvelopeDto: {
            /**
             * @description A stable code, where the status alone does not say what happened
             * @example SESSION_EXISTS
             */
            code?: string;
            /**
             * @description The status code’s reason phrase
             * @example Bad Request
             */
            error: string;
            /**
             * @description What went wrong, naming the field at fault
             * @example user_message should not be empty
             */
            message: string;
            /** @description REQUEST_RESOLVED: the request as it was resolved */
            request?: {
                [key: string]: unknown;
            };
            /** @example 400 */
            statusCode: number;
        };
        ErrorEventData: {
            /** @enum {string} */
            code: "upstream_error" | "tmux_unavailable" | "mriver_unreachable" | "shim_auth_failed" | "shim_error" | "timeout" | "upstream_silence" | "jwt_mint_failed" | "disabled" | "interrupted" | "cancelled" | "refused";
            message: string;
            /** @description Asking again may well work */
            retryable?: boolean;
        };
        ExecDto: {
            /** @description Tools the agent may call that you run yourself (stream-json driver): each call is a `client_tool` request on the stream */
            client_tools?: components["schemas"]["ClientToolDto"][];
            context?: components["schemas"]["TurnContextDto"];
            /** @example Fasse die offenen Fristen zusammen. */
            input: string;
        };
        ExecStartedDto: {
            /** Format: uuid */
            session_id: string;
            /** @example /api/paliadin/stream/… */
            sse_url: string;
            /** Format: uuid */
            turn_id: string;
        };
        FailingWebhookDto: {
            disabled_reason: string | null;
            enabled: boolean;
            /** @description Deliveries whose last attempt failed */
            failing: number;
            /** Format: uuid */
            id: string;
            /** @description The latest failed attempt: its error or status code */
            last_error: string | null;
            /** Format: date-time */
            last_failed_at: string | null;
            url: string;
            user_email: string | null;
            /** Format: uuid */
            user_id: string;
        };
        FailingWebhookListDto: {
            webhooks: components["schemas"]["FailingWebhookDto"][];
        };
        MetaEventData: {
            /** Format: date-time */
            started_at: string;
            /** Format: uuid */
            turn_id: string;
        };
        OkDto: {
            /** @example true */
            ok: boolean;
        };
        PaliadinStatsDto: {
            /** @description distinct browser sessions with a turn in the last 24 h */
            active_sessions: number;
            by_backend: {
                [key: string]: number;
            };
            by_classifier_tag: {
                [key: string]: number;
            };
            /**
             * @example {
             *       "timeout": 2
             *     }
             */
            by_error_code: {
                [key: string]: number;
            };
            duration_ms: components["schemas"]["DurationStatsDto"];
            /** @description errors_24h / turns_24h, 0 without turns */
            error_rate_24h: number;
            errors_24h: number;
            /** @description turns not finished yet */
            in_flight: number;
            /** Format: date-time */
            last_turn_at: string | null;
            /** @description how long the oldest open request has waited, in seconds */
            requests_longest_wait_s: number | null;
            /** @description requests waiting for their answer now (docs/requests.md) */
            requests_open: number;
            /**
             * @description open requests by kind
             * @example {
             *       "permission": 1
             *     }
             */
            requests_open_by_kind: {
                [key: string]: number;
            };
            /** @description agent sessions now active (each user’s default one included) */
            sessions_active: number;
            /** @description agent sessions created in the last 24 h */
            sessions_created_24h: number;
            top_tools: components["schemas"]["ToolCountDto"][];
            total_turns: number;
            turns_7d: number;
            turns_24h: number;
            /** @description 14 UTC days, oldest first, today last */
            turns_per_day: components["schemas"]["DayCountDto"][];
        };
        PermissionEventData: {
            /**
             * Format: date-time
             * @description Unanswered by then, it resolves by timeout (denied)
             */
            expires_at: string;
            /** @description The tool call’s input */
            input: {
                [key: string]: unknown;
            };
            /** @example notes/plan.md */
            input_summary: string;
            options: ("allow_once" | "allow_always" | "deny")[];
            /** Format: uuid */
            request_id: string;
            /** @example Write */
            tool: string;
        };
        PlanEntryData: {
            content: string;
            /** @enum {string} */
            priority: "high" | "medium" | "low";
            /** @enum {string} */
            status: "pending" | "in_progress" | "completed";
        };
        PlanEventData: {
            /** @description The whole plan as it now stands (ACP) */
            entries: components["schemas"]["PlanEntryData"][];
        };
        QuestionEventData: {
            /** Format: date-time */
            expires_at: string;
            questions: components["schemas"]["AgentQuestionData"][];
            /** Format: uuid */
            request_id: string;
        };
        QuestionOptionData: {
            description?: string;
            label: string;
        };
        RecoveredTurnDto: {
            chip_count: number;
            classifier_tag: string | null;
            duration_ms: number | null;
            /** @example timeout */
            error_code: string | null;
            /** Format: date-time */
            finished_at: string | null;
            /** @enum {string} */
            recovery_state: "recovered" | "pending" | "lost";
            response: string | null;
            rows_seen: number[];
            /** Format: date-time */
            started_at: string;
            /** Format: uuid */
            turn_id: string;
            used_tools: string[];
        };
        RequestDto: {
            /** @enum {string} */
            by?: "user" | "api_key" | "timeout" | "cancel" | "interrupted";
            /** Format: date-time */
            created_at: string;
            /** @description What the agent asked, as its event showed it (less request_id and expires_at): permission {tool, input_summary, input, options}; question {questions}; client_tool {name, input} */
            data: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            expires_at: string;
            /** @enum {string} */
            kind: "permission" | "question" | "client_tool";
            /** @description Once resolved: {decision, message?} (permission), {answers, unanswered?} (question), {is_error} (client tool) */
            outcome?: {
                [key: string]: unknown;
            };
            /** Format: uuid */
            request_id: string;
            /** Format: date-time */
            resolved_at?: string;
            /**
             * Format: uuid
             * @description The agent session the turn ran in
             */
            session_id: string | null;
            /** @enum {string} */
            status: "open" | "resolved";
            /** Format: uuid */
            turn_id: string;
        };
        RequestListDto: {
            requests: components["schemas"]["RequestDto"][];
        };
        ResolvedEventData: {
            /** Format: date-time */
            at: string;
            /** @enum {string} */
            by: "user" | "api_key" | "timeout" | "cancel" | "interrupted";
            /** @enum {string} */
            kind: "permission" | "question" | "client_tool";
            /** @description permission: {decision, message?}; question: {answers: {question: [labels]}, unanswered?}; client_tool: {is_error} */
            outcome: {
                [key: string]: unknown;
            };
            /** Format: uuid */
            request_id: string;
        };
        ScreenCursorDto: {
            x: number;
            y: number;
        };
        ScreenDto: {
            /** Format: date-time */
            captured_at: string;
            cols: number;
            cursor: components["schemas"]["ScreenCursorDto"];
            /** @description One string per row, trailing blanks trimmed */
            lines: string[];
            rows: number;
        };
        SessionDto: {
            /** @description The agent session name the backend uses */
            agent_session: string;
            /** @description The agent’s own conversation id, where the driver has one */
            agent_session_id?: string;
            backend: string;
            /** @description The names of the client tools it declared */
            client_tools?: string[];
            /** Format: date-time */
            created_at: string;
            /** @description The user id, or the API key id that created it */
            created_by: string;
            driver: string | null;
            /** Format: date-time */
            ended_at?: string;
            /** Format: date-time */
            expires_at: string | null;
            /** @description Rules its user granted with allow_always, for the rest of the session */
            grants?: string[];
            /** Format: uuid */
            id: string;
            /** Format: date-time */
            last_activity_at: string;
            name: string;
            /** @description Rules it added at creation */
            permissions?: components["schemas"]["SessionPermissionsDto"];
            /** Format: uuid */
            running_turn_id?: string;
            /** @enum {string} */
            status: "active" | "ended" | "expired" | "terminated";
            turns: number;
            /** @description The user’s email */
            user_email: string;
            /** Format: uuid */
            user_id: string;
            workspace: string | null;
        };
        SessionInstructionsDto: {
            /** @example /api/sessions/…/checkin */
            checkin_url: string;
            /** @example /api/sessions/…/events */
            events_url: string;
            /** @example /api/sessions/…/exec */
            exec_url: string;
            /** @example /api/sessions/…/screen */
            screen_url: string;
            /** @example POST {"input": "..."} to exec_url; read events_url as Server-Sent Events; POST checkin_url to end it. */
            text: string;
        };
        SessionListDto: {
            sessions: components["schemas"]["SessionDto"][];
        };
        SessionPermissionsDto: {
            /**
             * @description Admins only: calls these cover are allowed without asking (an ask rule still wins)
             * @example [
             *       "Read"
             *     ]
             */
            allow?: string[];
            /**
             * @description Calls these cover are put to the caller as `permission` requests
             * @example [
             *       "Edit({workspace}/**)"
             *     ]
             */
            ask?: string[];
            /**
             * @description Calls these cover are refused without asking
             * @example [
             *       "Bash"
             *     ]
             */
            deny?: string[];
        };
        SessionStatusEventData: {
            /** Format: date-time */
            at: string;
            /** @description created, checkin, expired, terminated, … */
            reason?: string;
            /** @enum {string} */
            status: "active" | "ended" | "expired" | "terminated";
        };
        SessionTurnEventData: {
            input: string;
            /** Format: date-time */
            started_at: string;
            /** Format: uuid */
            turn_id: string;
        };
        SessionTurnRef: {
            /** Format: uuid */
            turn_id: string;
        };
        TerminatedDto: {
            /** Format: uuid */
            id: string;
            message: string;
            /** @example terminated */
            status: string;
        };
        TestSentDto: {
            message_id: string;
        };
        ThinkingEventData: {
            elapsed_seconds: number;
            /** @description The turn waits for another turn of its agent session */
            queued?: boolean;
            /** @description Content has been sent already */
            since_first: boolean;
            /** @description The upstream itself sent this heartbeat */
            upstream?: boolean;
            /** @description The turn waits for the caller to answer this request; no silence timeout meanwhile */
            waiting_for?: components["schemas"]["WaitingForData"];
        };
        ThoughtEventData: {
            /** @description The next piece of the agent’s reasoning (ACP); clients may show it collapsed or not at all */
            delta: string;
        };
        ToolCountDto: {
            count: number;
            tool: string;
        };
        ToolEventData: {
            /** @description What the call is about: a path, pattern, command or URL */
            input_summary: string;
            name: string;
            /** @enum {string} */
            status: "started" | "done" | "error";
        };
        TurnContextDto: {
            /** @example status=open */
            filter_summary?: string;
            /** @example /cases/42 */
            page_origin?: string;
            /** @example 42 */
            primary_entity_id?: string;
            /** @example case */
            primary_entity_type?: string;
            /** @example case-detail */
            route_name?: string;
            user_selection_text?: string;
            /** @example table */
            view_mode?: string;
        };
        TurnCreatedDto: {
            /** @example /api/paliadin/stream/2f0c… */
            sse_url: string;
            /** Format: uuid */
            turn_id: string;
        };
        TurnHistoryRowDto: {
            /** @example local */
            backend: string;
            chip_count: number;
            classifier_tag: string | null;
            duration_ms: number | null;
            /** @example timeout */
            error_code: string | null;
            /** Format: date-time */
            finished_at: string | null;
            page_origin?: string | null;
            response: string | null;
            rows_seen: number[];
            session_id: string;
            /** Format: date-time */
            started_at: string;
            /** Format: uuid */
            turn_id: string;
            used_tools: string[];
            /** Format: uuid */
            user_id: string;
            user_message: string;
        };
        TurnViewDto: {
            chip_count: number;
            classifier_tag: string | null;
            duration_ms: number | null;
            /** @example timeout */
            error_code: string | null;
            /** Format: date-time */
            finished_at: string | null;
            response: string | null;
            rows_seen: number[];
            /** Format: date-time */
            started_at: string;
            /** Format: uuid */
            turn_id: string;
            used_tools: string[];
        };
        UsageData: {
            cost_usd?: number;
            input_tokens: number;
            output_tokens: number;
        };
        WaitingForData: {
            /** @enum {string} */
            kind: "permission" | "question" | "client_tool";
            /** Format: uuid */
            request_id: string;
        };
        WebhookDto: {
            all_users: boolean;
            /** Format: date-time */
            created_at: string;
            description: string | null;
            disabled_reason: string | null;
            /** @description false once the endpoint answered 410 Gone */
            enabled: boolean;
            events: ("turn.completed" | "turn.failed" | "turn.late_answer" | "session.ended" | "request.created")[];
            /** @description Deliveries whose last attempt failed (waiting for a retry, or given up) */
            failing: number;
            /** Format: uuid */
            id: string;
            url: string;
        };
        WebhookListDto: {
            webhooks: components["schemas"]["WebhookDto"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    AdminController_getStats: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaliadinStatsDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    AdminController_turns: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminTurnRowDto"][];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    WebhooksAdminController_failing: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailingWebhookListDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    TurnsController_history: {
        parameters: {
            query?: {
                /** @description Values above 200 are capped at 200 */
                limit?: number;
                /** @description The browser session id; empty gives an empty list */
                session?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TurnHistoryRowDto"][];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    TurnsController_reset: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OkDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description The agent backend failed to do it; try again */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    TurnsController_open: {
        parameters: {
            query?: {
                /** @description Token for EventSource clients that cannot set headers */
                access_token?: unknown;
                last_event_id?: number;
            };
            header?: {
                "Last-Event-ID"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Server-Sent Events. Each stored event: `id: <seq>`, `event: <kind>`, `data: <JSON>` (schemas below); `ping` (data `{}`, no id) keeps the connection alive. `end` or `error` closes a live stream; a finished turn replays and closes. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    TurnsController_start: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTurnDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TurnCreatedDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    TurnsController_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TurnViewDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    TurnsController_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TurnViewDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    TurnsController_recover: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoveredTurnDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    RequestsController_ofTurn: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RequestListDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    RequestsController_answer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                request_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AnswerRequestDto"];
            };
        };
        responses: {
            /** @description The resolved request */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RequestDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description A conflict: `code` says which (SESSION_EXISTS: you have an active session of that name; REQUEST_RESOLVED: the request was answered otherwise already, `request` holds how) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_list: {
        parameters: {
            query?: {
                limit?: number;
                status?: "active" | "ended" | "all";
                /** @description Admins only: one user’s sessions */
                user?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionListDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateSessionDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedSessionDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description A conflict: `code` says which (SESSION_EXISTS: you have an active session of that name; REQUEST_RESOLVED: the request was answered otherwise already, `request` holds how) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_terminate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TerminatedDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_checkin: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CheckinDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_events: {
        parameters: {
            query?: {
                /** @description Token for EventSource clients that cannot set headers */
                access_token?: unknown;
                last_event_id?: string;
            };
            header?: {
                "Last-Event-ID"?: string;
            };
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `session` and `turn` with id N; then each turn event with `turn_id` added, id N.M. `ping` (no id) keeps the connection alive. An ended session replays and closes. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_exec: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExecDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecStartedDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    RequestsController_ofSession: {
        parameters: {
            query?: {
                status?: "open" | "all";
            };
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RequestListDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_screen: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScreenDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description A conflict: `code` says which (SESSION_EXISTS: you have an active session of that name; REQUEST_RESOLVED: the request was answered otherwise already, `request` holds how) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionsController_screenStream: {
        parameters: {
            query?: {
                /** @description Token for EventSource clients that cannot set headers */
                access_token?: unknown;
            };
            header?: never;
            path: {
                sid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description A conflict: `code` says which (SESSION_EXISTS: you have an active session of that name; REQUEST_RESOLVED: the request was answered otherwise already, `request` holds how) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    WebhooksController_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookListDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    WebhooksController_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWebhookDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedWebhookDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    WebhooksController_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    WebhooksController_remove: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    WebhooksController_deliveries: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryListDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    WebhooksController_test: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestSentDto"];
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionController_signIn: {
        parameters: {
            query?: never;
            header: {
                authorization: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Bad input: the message names the field (never a 500) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description No valid bearer token or API key, or a token whose claims are unusable (the message says which) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description An API key without the scope this route needs, or an API key where only a user token will do */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
    SessionController_signOut: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    HealthController_check: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Everything is up (the backend may report `disabled`) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The database or the backend is down; the body says which */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    MetricsController_scrape: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
            /** @description Busy, or the database cannot be reached now: try again after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelopeDto"];
                };
            };
        };
    };
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RequestStore } from '../requests/request-store.js';
import type { AdminTurnRowDto, PaliadinStatsDto } from './dto/stats.dto.js';

// How far back each figure looks (docs/api.md#admin-stats names the 24 h ones; the breakdowns take a week).
const DAY = `now() - interval '24 hours'`;
const WEEK = `now() - interval '7 days'`;
const TOP_TOOLS = 10;

/**
 * The dashboard's numbers, each computed in SQL over paliadin_turns (never
 * by loading rows), and correct on an empty table: counts are 0, rates 0,
 * percentiles and times null.
 */
@Injectable()
export class AdminStatsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async stats(): Promise<PaliadinStatsDto> {
    const [totals]: {
      total_turns: number;
      turns_24h: number;
      turns_7d: number;
      errors_24h: number;
      in_flight: number;
      active_sessions: number;
      last_turn_at: Date | null;
      p50: number | null;
      p95: number | null;
      max: number | null;
    }[] = await this.db.query(`
      SELECT count(*)::int AS total_turns,
             count(*) FILTER (WHERE started_at > ${DAY})::int AS turns_24h,
             count(*) FILTER (WHERE started_at > ${WEEK})::int AS turns_7d,
             count(*) FILTER (WHERE started_at > ${DAY} AND error_code IS NOT NULL)::int AS errors_24h,
             count(*) FILTER (WHERE finished_at IS NULL)::int AS in_flight,
             count(DISTINCT (user_id, session_id)) FILTER (WHERE started_at > ${DAY})::int AS active_sessions,
             max(started_at) AS last_turn_at,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE started_at > ${DAY} AND duration_ms IS NOT NULL) AS p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE started_at > ${DAY} AND duration_ms IS NOT NULL) AS p95,
             max(duration_ms) FILTER (WHERE started_at > ${DAY}) AS max
      FROM paliadin_turns`);
    const counts = async (column: string, since: string): Promise<Record<string, number>> => {
      const rows: { key: string; n: number }[] = await this.db.query(
        `SELECT ${column} AS key, count(*)::int AS n FROM paliadin_turns
         WHERE started_at > ${since} AND ${column} IS NOT NULL AND ${column} <> '' GROUP BY 1 ORDER BY 2 DESC, 1`,
      );
      return Object.fromEntries(rows.map((r) => [r.key, r.n]));
    };
    const topTools: { tool: string; count: number }[] = await this.db.query(
      `SELECT tool, count(*)::int AS count FROM paliadin_turns, unnest(used_tools) AS tool
       WHERE started_at > ${WEEK} GROUP BY tool ORDER BY count DESC, tool LIMIT ${TOP_TOOLS}`,
    );
    // 14 UTC days ending today, days without turns included.
    const perDay: { day: string; turns: number; errors: number }[] = await this.db.query(`
      SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
             count(t.turn_id)::int AS turns,
             count(t.turn_id) FILTER (WHERE t.error_code IS NOT NULL)::int AS errors
      FROM generate_series((now() AT TIME ZONE 'UTC')::date - 13, (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)
      LEFT JOIN paliadin_turns t ON (t.started_at AT TIME ZONE 'UTC')::date = d.day::date
      GROUP BY d.day ORDER BY d.day`);
    const [agents]: { sessions_active: number; sessions_created_24h: number }[] = await this.db.query(`
      SELECT count(*) FILTER (WHERE status = 'active')::int AS sessions_active,
             count(*) FILTER (WHERE created_at > ${DAY})::int AS sessions_created_24h
      FROM paliadin_sessions`);
    const open = await RequestStore.openByKind(this.db);
    const oldest = Math.min(...open.map((r) => r.oldest?.getTime() ?? Infinity));
    const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
    return {
      total_turns: totals.total_turns,
      turns_24h: totals.turns_24h,
      turns_7d: totals.turns_7d,
      errors_24h: totals.errors_24h,
      error_rate_24h: totals.turns_24h ? Number((totals.errors_24h / totals.turns_24h).toFixed(4)) : 0,
      by_error_code: await counts('error_code', DAY),
      duration_ms: { p50: num(totals.p50), p95: num(totals.p95), max: num(totals.max) },
      by_classifier_tag: await counts('classifier_tag', WEEK),
      by_backend: await counts('backend', WEEK),
      top_tools: topTools,
      in_flight: totals.in_flight,
      active_sessions: totals.active_sessions,
      sessions_active: agents.sessions_active,
      sessions_created_24h: agents.sessions_created_24h,
      last_turn_at: totals.last_turn_at?.toISOString() ?? null,
      requests_open: open.reduce((n, r) => n + r.n, 0),
      requests_open_by_kind: Object.fromEntries(open.map((r) => [r.kind, r.n])),
      requests_longest_wait_s: Number.isFinite(oldest) ? Math.max(0, Math.round((Date.now() - oldest) / 1000)) : null,
      turns_per_day: perDay,
    };
  }

  /** The newest turns of all users, with who asked. */
  async recentTurns(limit: number): Promise<AdminTurnRowDto[]> {
    const rows: (Omit<AdminTurnRowDto, 'started_at' | 'finished_at' | 'rows_seen'> & { started_at: Date; finished_at: Date | null; rows_seen: string[] })[] =
      await this.db.query(
        `SELECT t.turn_id, t.user_id, u.email AS user_email, t.session_id, t.backend, t.started_at, t.finished_at, t.user_message, t.response,
                t.error_code, t.duration_ms, t.used_tools, t.rows_seen::text[] AS rows_seen, t.chip_count, t.classifier_tag, t.page_origin
         FROM paliadin_turns t LEFT JOIN users u ON u.id = t.user_id
         ORDER BY t.started_at DESC, t.turn_id DESC LIMIT $1`,
        [limit],
      );
    return rows.map((r) => ({
      ...r,
      started_at: r.started_at.toISOString(),
      finished_at: r.finished_at?.toISOString() ?? null,
      rows_seen: r.rows_seen.map(Number),
    }));
  }
}

import type { PaliadinClient } from '../client.js';
import { fields, type Output } from './output.js';

/** `turns show <id>`: the turn's row. */
export async function showTurn(client: PaliadinClient, out: Output, turnId: string): Promise<number> {
  const row = await client.turns.get(turnId);
  out.result(row, () => fields(row));
  return 0;
}

/** `turns recover <id>`: the row plus recovery_state; a late answer found now is delivered by the asking. */
export async function recoverTurn(client: PaliadinClient, out: Output, turnId: string): Promise<number> {
  const row = await client.turns.recover(turnId);
  out.result(row, () => fields(row));
  return 0;
}

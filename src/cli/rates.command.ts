import type { Command } from 'commander';
import { setRate } from '../admin/operations.js';
import { DEFAULT_RATES, DEFAULT_RATES_DATE } from '../domain/currency.js';
import { action, withStore } from './context.js';
import { printRecord, printResult } from './output.js';

export function registerRatesCommand(program: Command): void {
  const rates = program.command('rates').description('currency rates used to normalise revenue to USD');

  rates
    .command('set')
    .description('set how many USD one unit of a currency is worth, e.g. `s2s rates set EUR 1.08`')
    .argument('<currency>', '3-letter code')
    .argument('<usd_per_unit>', 'USD per unit')
    .option('--json', 'print JSON')
    .action(
      action(async (currency: string, rate: string, opts: { json?: boolean }) => {
        const saved = await withStore((store) => setRate(store, currency, rate));
        printRecord(Boolean(opts.json), saved);
      }),
    );

  rates
    .command('list')
    .description(`the rates in force: yours, then the shipped defaults (as of ${DEFAULT_RATES_DATE})`)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const own = await withStore((store) => store.listRates());
        const mine = new Map(own.map((r) => [r.currency, r]));
        const all = [...new Set([...mine.keys(), ...Object.keys(DEFAULT_RATES)])].sort().map((currency) => {
          const r = mine.get(currency);
          return r
            ? { currency, usd_per_unit: r.usd_per_unit, source: 'set', updated_at: new Date(r.updated_at).toISOString() }
            : { currency, usd_per_unit: DEFAULT_RATES[currency]!, source: `default ${DEFAULT_RATES_DATE}`, updated_at: null };
        });
        printResult(Boolean(opts.json), { rates: all }, all, [
          { header: 'currency', value: (r) => r.currency },
          { header: 'usd_per_unit', value: (r) => r.usd_per_unit },
          { header: 'source', value: (r) => r.source },
        ]);
      }),
    );
}

/**
 * Revenue is kept in its own currency and normalised to USD with a rates table: the shipped
 * defaults below, overridden by `s2s rates set CUR RATE`. A currency with no rate is stored,
 * its USD value left empty (flagged), and kept out of USD totals.
 */

/** Approximate USD per unit, as of this date; override with `s2s rates set`. */
export const DEFAULT_RATES_DATE = '2026-11-01';
export const DEFAULT_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  JPY: 0.0067,
  CNY: 0.14,
  KRW: 0.00073,
  INR: 0.012,
  BRL: 0.18,
  CAD: 0.73,
  AUD: 0.66,
  CHF: 1.13,
  SEK: 0.094,
  NOK: 0.092,
  DKK: 0.145,
  PLN: 0.25,
  TRY: 0.029,
  MXN: 0.055,
  RUB: 0.011,
  IDR: 0.000063,
  SGD: 0.74,
  HKD: 0.128,
  TWD: 0.031,
  THB: 0.028,
  ZAR: 0.055,
  NZD: 0.6,
};

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/**
 * The amount in USD, rounded to nano-dollars, or null when the currency has no rate. Not
 * coarser: one ad impression earns a few thousandths of a cent (MAX's `0.000012`), and micro-
 * dollars would keep two digits of it.
 */
export function toUsd(amount: number, currency: string, rates: ReadonlyMap<string, number>): number | null {
  const rate = rates.get(currency.toUpperCase()) ?? DEFAULT_RATES[currency.toUpperCase()];
  if (rate === undefined) return null;
  return Math.round(amount * rate * 1e9) / 1e9;
}

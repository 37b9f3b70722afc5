import type { FastifyRequest } from 'fastify';
import { eventKind, type EventRecord } from '../../ingest/records.js';
import { dedupKey } from '../conversion.js';
import { optionalNumber, readFreeText, readRevenue, type Params } from '../params.js';

/** A Swaarm event (seed 001) from its parameters: `__open` is a session, a `sale_amount` a purchase. */
export function readSwaarmEvent(request: FastifyRequest, params: Params, eventId: string): EventRecord {
  const { revenue, currency } = readRevenue(params, 'sale_amount', 'sale_amount_currency');
  return {
    kind: eventKind(eventId === '__open', revenue),
    name: eventId,
    revenue,
    currency,
    aggregatedValue: optionalNumber(params, 'aggregated_event_value', { min: -1e12, max: 1e12 }),
    eventValue: readFreeText(params, 'event_value'),
    dedupKey: dedupKey(request, params),
  };
}

import Fastify from 'fastify';
import type { ProtocolContext } from '../../src/protocols/context.js';
import { PROTOCOLS } from '../../src/protocols/index.js';

export interface Endpoint {
  path: string;
  methods: ('GET' | 'POST' | 'PUT')[];
}

/**
 * Every route of every registered protocol, as its plugin declares it: a protocol added to
 * `protocols/index.ts` is fuzzed and checked for 405s without touching those tests. The plugins are only registered
 * on a bare Fastify (their handlers never run), so the context is a stand-in.
 */
export async function protocolEndpoints(): Promise<Endpoint[]> {
  const app = Fastify();
  const found = new Map<string, Set<'GET' | 'POST'>>();
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().filter((m): m is 'GET' | 'POST' => m === 'GET' || m === 'POST');
    if (methods.length === 0) return;
    const set = found.get(route.url) ?? new Set();
    for (const m of methods) set.add(m);
    found.set(route.url, set);
  });
  for (const protocol of PROTOCOLS) await app.register(protocol.plugin, { bodyLimitBytes: 64 * 1024 } as ProtocolContext);
  return [...found].map(([path, methods]) => ({ path, methods: [...methods] }));
}


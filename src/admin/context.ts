import type { TokenAuthenticator } from '../auth/token-auth.js';
import type { CatalogStore, CostStore, ErasureStore, ExportStore, IngestStore, OutboxStore, ReportStore, SkanStore } from '../storage/store.js';

/** What the admin routes use; built by the composition root (app.ts). */
export interface AdminContext {
  store: CatalogStore & OutboxStore & ReportStore & CostStore & SkanStore & ErasureStore & ExportStore & Pick<IngestStore, 'transaction'>;
  auth: TokenAuthenticator;
  adminToken: string;
  publicUrl: string;
  /** Called after an app's settings or postbacks change, so caches drop the old copy. */
  onAppChanged: () => void;
  retryTtlMs: number;
  /** Called after a delivery is put back in the queue. */
  onRetry: () => void;
}

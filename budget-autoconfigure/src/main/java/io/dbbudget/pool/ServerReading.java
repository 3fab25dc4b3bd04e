package io.dbbudget.pool;

import io.dbbudget.budget.ServerLimits;
import io.dbbudget.server.pgbouncer.PgBouncerLimits;
import org.jspecify.annotations.Nullable;

/**
 * What the probe read of a pool's server: the limits the server itself answers and, when a
 * pooler stands between the pool and the server, what PgBouncer allows.
 *
 * @param limits the limits the server answered: behind a pooler, those of the server behind
 * it, which are not the pool's
 * @param pooler PgBouncer's limits and pool mode, or why they could not be read; {@code null}
 * when the pool reaches the server directly
 * @author db-budget team
 */
record ServerReading(ServerLimits limits, @Nullable PgBouncerLimits pooler) {

}

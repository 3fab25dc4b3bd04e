package io.dbbudget.pool;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;

/**
 * What a pool's connections are doing now, from Hikari's own counters: reading them takes no
 * connection.
 *
 * @param active connections handed out to the application
 * @param idle connections waiting in the pool
 * @param total open connections
 * @param pending threads waiting for a connection
 * @author db-budget team
 */
public record PoolActivity(int active, int idle, int total, int pending) {

	private static final PoolActivity NOT_STARTED = new PoolActivity(0, 0, 0, 0);

	/**
	 * Reads a pool's counters.
	 * @param dataSource the pool
	 * @return its counters, all zero before the pool has started
	 */
	public static PoolActivity of(HikariDataSource dataSource) {
		// Null until the pool starts, on its first connection
		HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
		if (pool == null) {
			return NOT_STARTED;
		}
		return new PoolActivity(pool.getActiveConnections(), pool.getIdleConnections(), pool.getTotalConnections(),
				pool.getThreadsAwaitingConnection());
	}

}

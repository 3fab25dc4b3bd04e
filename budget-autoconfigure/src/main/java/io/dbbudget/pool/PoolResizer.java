package io.dbbudget.pool;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;

import io.dbbudget.budget.PoolPlan;

/**
 * Applies a {@link PoolPlan} to a Hikari pool, before it starts or while it runs.
 *
 * @author db-budget team
 */
final class PoolResizer {

	private PoolResizer() {
	}

	static void apply(HikariDataSource dataSource, PoolPlan plan) {
		// The config MXBean is the only way to resize once Hikari has sealed its configuration,
		// and before the pool starts it writes the same fields.
		HikariConfigMXBean config = dataSource.getHikariConfigMXBean();
		boolean shrinking = plan.maximumPoolSize() < config.getMaximumPoolSize();
		config.setMinimumIdle(plan.minimumIdle());
		config.setMaximumPoolSize(plan.maximumPoolSize());
		HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
		if (shrinking && pool != null) {
			// Lowering the maximum closes nothing by itself: soft eviction closes idle
			// connections now and busy ones when they are returned, and the pool refills up to
			// the new maximum.
			pool.softEvictConnections();
		}
	}

}

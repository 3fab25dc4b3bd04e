package io.dbbudget.pool;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;

import io.dbbudget.budget.PoolPlan;

/**
 * Applies a {@link PoolPlan} to a Hikari pool, before it starts or while it runs. Setting the
 * sizes does no I/O: growing opens connections only as callers need them (or as
 * {@code minimum-idle} asks), and what a shrink leaves above the maximum is for
 * {@link PoolTrimmer} to close.
 *
 * @author db-budget team
 */
final class PoolResizer {

	private PoolResizer() {
	}

	/**
	 * Applies a plan.
	 * @param dataSource the pool
	 * @param plan its plan
	 * @return whether the pool is running and now holds more connections than its maximum
	 */
	static boolean apply(HikariDataSource dataSource, PoolPlan plan) {
		// The config MXBean is the only way to resize once Hikari has sealed its configuration,
		// and before the pool starts it writes the same fields.
		HikariConfigMXBean config = dataSource.getHikariConfigMXBean();
		config.setMinimumIdle(plan.minimumIdle());
		config.setMaximumPoolSize(plan.maximumPoolSize());
		return PoolActivity.of(dataSource).total() > plan.maximumPoolSize();
	}

}

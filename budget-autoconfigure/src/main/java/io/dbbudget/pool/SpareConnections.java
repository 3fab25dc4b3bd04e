package io.dbbudget.pool;

import java.sql.Connection;
import java.sql.SQLException;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.server.ConnectionSource;
import org.jspecify.annotations.Nullable;

/**
 * Lends db-budget's own queries a connection of the first PostgreSQL pool under the budget, so
 * that they never open a connection outside it, and only while the pool has one to spare:
 * waiting on an exhausted pool would queue behind the application and take a connection it is
 * waiting for, and a disposed pool stays empty until the application needs a connection.
 *
 * @author db-budget team
 */
public class SpareConnections implements ConnectionSource {

	private final BudgetedPools budgetedPools;

	/**
	 * Create a new instance.
	 * @param budgetedPools the pools under the budget
	 */
	public SpareConnections(BudgetedPools budgetedPools) {
		this.budgetedPools = budgetedPools;
	}

	@Override
	public @Nullable Connection borrow() throws SQLException {
		HikariDataSource pool = firstPostgreSqlPool();
		if (pool == null || pool.isClosed()) {
			return null;
		}
		PoolActivity activity = PoolActivity.of(pool);
		// A pool that keeps no idle connection (disposed, or configured so) is never made to
		// open one for db-budget's own queries
		boolean keepsNoneIdle = pool.isRunning() && pool.getMinimumIdle() == 0 && activity.idle() == 0;
		if (keepsNoneIdle || activity.active() >= pool.getMaximumPoolSize()) {
			return null;
		}
		return pool.getConnection();
	}

	private @Nullable HikariDataSource firstPostgreSqlPool() {
		return this.budgetedPools.getPools()
			.stream()
			.map(BudgetedPool::dataSource)
			.filter(ServerProbe::isPostgreSql)
			.findFirst()
			.orElse(null);
	}

}

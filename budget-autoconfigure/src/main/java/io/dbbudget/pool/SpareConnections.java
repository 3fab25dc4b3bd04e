package io.dbbudget.pool;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.server.ConnectionSource;
import io.dbbudget.server.ServerDialect;
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
		BudgetedPool pool = firstPoolOfAKnownServer();
		if (pool == null) {
			return null;
		}
		HikariDataSource dataSource = pool.dataSource();
		PoolActivity activity = PoolActivity.of(dataSource);
		if (dataSource.isRunning() && activity.idle() == 0 && activity.total() < dataSource.getMinimumIdle()) {
			// Hikari is opening what the pool keeps idle: a connection of db-budget's own now
			// would be one more that stays idle
			return null;
		}
		// A disposed pool stays empty until the application needs a connection: what it opens
		// for db-budget's own query closes with it rather than waiting idle in the pool
		boolean disposed = pool.idleLimit() == 0 && activity.idle() == 0;
		Connection connection = borrowFrom(dataSource);
		return (connection != null && disposed) ? closingOnReturn(dataSource, connection) : connection;
	}

	private static Connection closingOnReturn(HikariDataSource dataSource, Connection connection) {
		return (Connection) Proxy.newProxyInstance(SpareConnections.class.getClassLoader(),
				new Class<?>[] { Connection.class }, (proxy, method, arguments) -> {
					if (method.getName().equals("close") && method.getParameterCount() == 0) {
						dataSource.evictConnection(connection);
						return null;
					}
					try {
						return method.invoke(connection, arguments);
					}
					catch (InvocationTargetException ex) {
						throw ex.getCause();
					}
				});
	}

	@Override
	public @Nullable Connection borrowOnRequest() throws SQLException {
		BudgetedPool pool = firstPoolOfAKnownServer();
		return (pool != null) ? borrowFrom(pool.dataSource()) : null;
	}

	private static @Nullable Connection borrowFrom(HikariDataSource pool) throws SQLException {
		if (pool.isClosed() || PoolActivity.of(pool).active() >= pool.getMaximumPoolSize()) {
			return null;
		}
		return pool.getConnection();
	}

	// The first pool on PostgreSQL, MySQL or MariaDB: the servers db-budget can ask
	private @Nullable BudgetedPool firstPoolOfAKnownServer() {
		return this.budgetedPools.getPools()
			.stream()
			.filter((pool) -> ServerDialect.forUrl(pool.dataSource().getJdbcUrl()) != null)
			.findFirst()
			.orElse(null);
	}

}

package io.dbbudget.benchmarks;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.retry.AcquisitionListener;
import io.dbbudget.retry.RetrySettings;
import io.dbbudget.retry.RetryingDataSource;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One started, warmed HikariCP pool and one {@link RetryingDataSource} around that very pool,
 * with retry and the admission gate as the starter sets them up by default, shared by all
 * benchmark threads of a run.
 * <p>
 * The database is the local PostgreSQL unless told otherwise, first by the system properties
 * {@code db.budget.bench.url}, {@code db.budget.bench.user} and {@code db.budget.bench.password},
 * then by the environment variables {@code DB_BUDGET_BENCH_URL}, {@code DB_BUDGET_BENCH_USER}
 * and {@code DB_BUDGET_BENCH_PASSWORD}.
 *
 * @author db-budget team
 */
@State(Scope.Benchmark)
public class PoolState {

	static final int POOL_SIZE = 10;

	HikariDataSource pool;

	RetryingDataSource wrapped;

	@Setup(Level.Trial)
	public void start() throws Exception {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(setting("url", "jdbc:postgresql://127.0.0.1:5432/postgres"));
		config.setUsername(setting("user", "postgres"));
		String password = setting("password", "");
		if (!password.isEmpty()) {
			config.setPassword(password);
		}
		config.setPoolName("bench");
		config.setMaximumPoolSize(POOL_SIZE);
		config.setMinimumIdle(POOL_SIZE);
		// started here, so RetryingDataSource takes its plain path from the first call on
		this.pool = new HikariDataSource(config);
		if (this.pool.getHikariPoolMXBean() == null) {
			throw new IllegalStateException("the pool did not start");
		}
		this.wrapped = new RetryingDataSource(this.pool, "bench",
				new RetrySettings(5, Duration.ofMillis(500), 2.0, Duration.ofSeconds(30), true),
				Duration.ofMillis(this.pool.getConnectionTimeout()), AcquisitionListener.NONE,
				new AdmissionGate(this.pool));
		warmUp();
	}

	/**
	 * Opens every connection of the pool and uses each once, through both data sources, so
	 * that no measured call waits for a physical connection to be made.
	 */
	private void warmUp() throws SQLException, InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (this.pool.getHikariPoolMXBean().getTotalConnections() < POOL_SIZE) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("the pool did not fill to " + POOL_SIZE + " connections");
			}
			Thread.sleep(50);
		}
		for (javax.sql.DataSource dataSource : List.of(this.pool, this.wrapped)) {
			List<Connection> borrowed = new ArrayList<>();
			for (int i = 0; i < POOL_SIZE; i++) {
				Connection connection = dataSource.getConnection();
				try (Statement statement = connection.createStatement()) {
					statement.execute("SELECT 1");
				}
				borrowed.add(connection);
			}
			for (Connection connection : borrowed) {
				connection.close();
			}
		}
		if (this.pool.getHikariPoolMXBean().getIdleConnections() != POOL_SIZE) {
			throw new IllegalStateException("expected " + POOL_SIZE + " idle connections, found "
					+ this.pool.getHikariPoolMXBean().getIdleConnections());
		}
	}

	@TearDown(Level.Trial)
	public void stop() {
		// closes the pool it wraps
		try {
			this.wrapped.close();
		}
		catch (Exception ex) {
			this.pool.close();
		}
	}

	private static String setting(String name, String fallback) {
		String value = System.getProperty("db.budget.bench." + name);
		if (value == null || value.isEmpty()) {
			value = System.getenv("DB_BUDGET_BENCH_" + name.toUpperCase(java.util.Locale.ROOT));
		}
		return (value == null || value.isEmpty()) ? fallback : value;
	}

}

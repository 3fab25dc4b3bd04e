package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.PrivatePgBouncer;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for pools behind a real PgBouncer in front of a private server with
 * {@code max_connections = 100}: the budget is PgBouncer's, never the server's
 * {@code max_connections}; where PgBouncer's limits cannot be read db-budget refuses to guess;
 * fleet coordination refuses a pooler that does not keep sessions. PgBouncer takes 40
 * clients; database {@code sessions} runs in session mode with a server pool of 16 + 4 in
 * reserve, {@code transactions} in transaction mode. {@code watcher} may read PgBouncer's
 * console, {@code app} may not.
 */
@ExtendWith(OutputCaptureExtension.class)
class PgBouncerBudgetTests {

	@AutoClose
	private static PrivateServer server;

	@AutoClose
	private static PrivatePgBouncer pgBouncer;

	@BeforeAll
	static void start() {
		server = PrivateServer.builder().maxConnections(100).start();
		pgBouncer = PrivatePgBouncer.builder(server)
			.database("sessions", "pool_size=16 reserve_pool=4")
			.database("transactions", "pool_size=5 pool_mode=transaction")
			.maxClientConn(40)
			.users("app")
			.statsUsers("watcher")
			.start();
	}

	private ApplicationContextRunner runner(String database, String user) {
		return runner(pgBouncer, database, user);
	}

	private ApplicationContextRunner runner(PrivatePgBouncer pgBouncer, String database, String user) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + pgBouncer.jdbcUrl(database),
					"spring.datasource.username=" + user, "spring.datasource.hikari.maximum-pool-size=20",
					"spring.application.name=orders", "db.budget.instances=4");
	}

	@Test
	void sessionModeIsBudgetedAgainstPgBouncersOwnLimits(CapturedOutput output) {
		runner("sessions", "watcher").run((context) -> {
			assertThat(context).hasNotFailed();
			Budget budget = context.getBean(BudgetedPools.class).getBudget();
			assertThat(budget.server().source()).isEqualTo(ServerLimits.Source.PGBOUNCER);
			assertThat(budget.server().maxConnections()).isEqualTo(40);
			// A session holds a server connection: the pool_size + reserve_pool of 20, / 4 instances
			assertThat(budget.server().usableConnections()).isEqualTo(20);
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(5);
			assertThat(new JdbcTemplate(dataSource).queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
			assertThat(output).contains("is PgBouncer (session mode): the pools are budgeted against what it lets "
					+ "clients open, not the max_connections of the server behind it");
		});
	}

	@Test
	void transactionModeIsBudgetedAgainstMaxClientConn() {
		runner("transactions", "watcher").run((context) -> {
			Budget budget = context.getBean(BudgetedPools.class).getBudget();
			assertThat(budget.server().usableConnections()).isEqualTo(40);
			assertThat(context.getBean(DataSource.class).unwrap(HikariDataSource.class).getMaximumPoolSize())
				.isEqualTo(10);
		});
	}

	@Test
	void limitsThatCannotBeReadStopStartUpNamingMaxConnections() {
		runner("sessions", "app").run((context) -> assertThat(context).getFailure()
			.rootCause()
			.isInstanceOf(InvalidBudgetException.class)
			.hasMessageContaining("db.budget.max-connections = not set")
			.hasMessageContaining("is PgBouncer, whose own limits cannot be read (user 'app' may not read "
					+ "PgBouncer's admin console")
			.satisfies((ex) -> assertThat(((InvalidBudgetException) ex).getAction())
				.startsWith("Set db.budget.max-connections to what PgBouncer lets this service's clients open")));
	}

	@Test
	void limitsThatCannotBeReadInWarnModeLeaveThePoolAsConfigured(CapturedOutput output) {
		runner("sessions", "app").withPropertyValues("db.budget.mode=warn").run((context) -> {
			assertThat(context).hasNotFailed();
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(20);
			assertThat(new JdbcTemplate(dataSource).queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
			assertThat(output).containsOnlyOnce("are left as configured: ");
			assertThat(context.getBean(BudgetedPools.class).describe())
				.endsWith("budget off, PgBouncer's limits cannot be read (db.budget.mode=warn), pools as configured");
		});
	}

	@Test
	void configuredMaxConnectionsIsTrustedBehindPgBouncer() {
		runner("sessions", "app").withPropertyValues("db.budget.max-connections=24").run((context) -> {
			assertThat(context.getBean(BudgetedPools.class).getBudget().server().source())
				.isEqualTo(ServerLimits.Source.CONFIGURED);
			assertThat(context.getBean(DataSource.class).unwrap(HikariDataSource.class).getMaximumPoolSize())
				.isEqualTo(6);
		});
	}

	@Test
	void coordinationRefusesTransactionMode() {
		runner("transactions", "watcher").withPropertyValues("db.budget.coordination.enabled=true")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.coordination.enabled = true")
				.hasMessageContaining("is PgBouncer in transaction mode, where the session advisory locks"));
	}

	@Test
	void coordinationRefusesAPoolModeThatCannotBeReadEvenWithMaxConnectionsSet() {
		runner("sessions", "app")
			.withPropertyValues("db.budget.max-connections=24", "db.budget.coordination.enabled=true")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.coordination.enabled = true")
				.hasMessageContaining("is PgBouncer in a pool mode that cannot be read"));
	}

	@Test
	void coordinationDoesNotRunThroughTransactionModeThatCouldNotBeReadAtStartUp(CapturedOutput output)
			throws SQLException {
		try (PrivatePgBouncer disabledAtStart = PrivatePgBouncer.builder(server)
			.database("transactions", "pool_mode=transaction")
			.statsUsers("watcher")
			.adminUsers("boss")
			.start()) {
			// PgBouncer refuses the pool's database at start-up, so whether it is behind a pooler
			// cannot be told then; then it lets clients in
			disabledAtStart.console("boss", "DISABLE transactions");
			runner(disabledAtStart, "transactions", "watcher")
				.withPropertyValues("db.budget.max-connections=24", "db.budget.coordination.enabled=true",
						"db.budget.coordination.heartbeat=500ms")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					disabledAtStart.console("boss", "ENABLE transactions");
					BudgetedPools pools = context.getBean(BudgetedPools.class);
					await().atMost(Duration.ofSeconds(10))
						.untilAsserted(() -> assertThat(output).contains("is PgBouncer in transaction mode, where the "
								+ "session advisory locks that count the fleet would be left on server connections"));
					await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
						assertThat(pools.getFleet().connected()).isFalse();
						assertThat(pools.getFleet().members()).isEmpty();
						assertThat(advisoryLocksOnTheServer()).isZero();
					});
				});
		}
	}

	@Test
	void coordinationRunsInSessionMode() {
		runner("sessions", "watcher").withPropertyValues("db.budget.coordination.enabled=true",
				"db.budget.coordination.heartbeat=500ms")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				BudgetedPools pools = context.getBean(BudgetedPools.class);
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(pools.getFleet().members()).hasSize(1));
			});
	}

	private static int advisoryLocksOnTheServer() throws SQLException {
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")) {
			result.next();
			return result.getInt(1);
		}
	}

}

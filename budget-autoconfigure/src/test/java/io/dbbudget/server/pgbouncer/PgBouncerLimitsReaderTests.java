package io.dbbudget.server.pgbouncer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import io.dbbudget.budget.ServerLimits;
import io.dbbudget.test.PrivatePgBouncer;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link PgBouncerLimitsReader} against a real PgBouncer. It takes 30 clients and
 * runs in session mode; database {@code sessions} has a server pool of 8 + 2 in reserve and at
 * most 12 server connections, {@code transactions} runs in transaction mode. {@code watcher} is
 * a stats user, {@code boss} an admin user, {@code app} neither.
 */
class PgBouncerLimitsReaderTests {

	@AutoClose
	private static PrivateServer server;

	@AutoClose
	private static PrivatePgBouncer pgBouncer;

	@BeforeAll
	static void start() {
		server = PrivateServer.builder().start();
		pgBouncer = PrivatePgBouncer.builder(server)
			.database("sessions", "pool_size=8 reserve_pool=2 max_db_connections=12")
			.database("transactions", "pool_size=5 max_db_connections=6 pool_mode=transaction")
			.maxClientConn(30)
			.users("app")
			.statsUsers("watcher")
			.adminUsers("boss")
			.start();
	}

	@Test
	void sessionModeLimitsAreTheClientsAPoolOfTheDatabaseAndUserCanHold() throws SQLException {
		PgBouncerLimits read = PgBouncerLimitsReader.read(pgBouncer.jdbcUrl("sessions"), user("watcher"));
		assertThat(read.isReadable()).isTrue();
		assertThat(read.unreadableReason()).isNull();
		assertThat(read.poolMode()).isEqualTo(PoolMode.SESSION);
		assertThat(read.limits()).isEqualTo(new ServerLimits(30, 0, 12, 10, ServerLimits.Source.PGBOUNCER));
		assertThat(read.limits().usableConnections()).isEqualTo(10);
	}

	@Test
	void adminUsersReadThemToo() throws SQLException {
		PgBouncerLimits read = PgBouncerLimitsReader.read(pgBouncer.jdbcUrl("sessions"), user("boss"));
		assertThat(read.limits()).isEqualTo(new ServerLimits(30, 0, 12, 10, ServerLimits.Source.PGBOUNCER));
	}

	@Test
	void sessionModeLimitsAreCappedByMaxUserConnections() throws SQLException {
		try (PrivatePgBouncer capped = PrivatePgBouncer.builder(server)
			.database("sessions", "pool_size=8")
			.setting("max_user_connections", "4")
			.statsUsers("watcher")
			.start()) {
			PgBouncerLimits read = PgBouncerLimitsReader.read(capped.jdbcUrl("sessions"), user("watcher"));
			assertThat(read.limits().roleConnectionLimit()).isEqualTo(4);
			assertThat(read.limits().usableConnections()).isEqualTo(4);
		}
	}

	@Test
	void transactionModeOfTheDatabaseLimitsClientsByMaxClientConnOnly() throws SQLException {
		PgBouncerLimits read = PgBouncerLimitsReader.read(pgBouncer.jdbcUrl("transactions"), user("watcher"));
		assertThat(read.poolMode()).isEqualTo(PoolMode.TRANSACTION);
		assertThat(read.poolMode().keepsSessions()).isFalse();
		assertThat(read.limits()).isEqualTo(new ServerLimits(30, 0, ServerLimits.NO_LIMIT, ServerLimits.NO_LIMIT,
				ServerLimits.Source.PGBOUNCER));
		assertThat(read.limits().usableConnections()).isEqualTo(30);
	}

	@Test
	void globalPoolModeAppliesWhereTheDatabaseSetsNone() throws SQLException {
		try (PrivatePgBouncer statements = PrivatePgBouncer.builder(server)
			.database("app", "")
			.poolMode("statement")
			.statsUsers("watcher")
			.start()) {
			PgBouncerLimits read = PgBouncerLimitsReader.read(statements.jdbcUrl("app"), user("watcher"));
			assertThat(read.poolMode()).isEqualTo(PoolMode.STATEMENT);
			assertThat(read.limits().maxConnections()).isEqualTo(100);
		}
	}

	@Test
	void poolModeOfThePoolsUserOverridesTheDatabasesAndTheGlobalOne() throws SQLException {
		try (PrivatePgBouncer userInTransactionMode = PrivatePgBouncer.builder(server)
			.database("app", "pool_mode=session")
			.user(server.username(), "pool_mode=transaction")
			.statsUsers("watcher")
			.start()) {
			PgBouncerLimits read = PgBouncerLimitsReader.read(userInTransactionMode.jdbcUrl("app"), user("watcher"));
			assertThat(read.poolMode()).isEqualTo(PoolMode.TRANSACTION);
		}
	}

	@Test
	void userInNeitherStatsUsersNorAdminUsersGetsTheReasonAndNoLimits() throws SQLException {
		PgBouncerLimits read = PgBouncerLimitsReader.read(pgBouncer.jdbcUrl("sessions"), user("app"));
		assertThat(read.isReadable()).isFalse();
		assertThat(read.limits()).isNull();
		assertThat(read.poolMode()).isEqualTo(PoolMode.UNKNOWN);
		assertThat(read.unreadableReason()).isEqualTo(
				"user 'app' may not read PgBouncer's admin console: it is in neither stats_users nor admin_users of "
						+ "pgbouncer.ini");
	}

	@Test
	void databaseUnknownToPgBouncerIsNamed() throws SQLException {
		PgBouncerLimits read = PgBouncerLimitsReader.read(pgBouncer.jdbcUrl("elsewhere"), user("watcher"));
		assertThat(read.isReadable()).isFalse();
		assertThat(read.unreadableReason()).isEqualTo("PgBouncer has no database 'elsewhere' (SHOW DATABASES)");
	}

	@Test
	void postgreSqlItselfHasNoConsoleToRead() throws SQLException {
		PgBouncerLimits read = PgBouncerLimitsReader.read(server.jdbcUrl("postgres"), user(server.username()));
		assertThat(read.isReadable()).isFalse();
		assertThat(read.unreadableReason())
			.isEqualTo("no PgBouncer admin console answers there: FATAL: database \"pgbouncer\" does not exist");
	}

	@Test
	void pgBouncerThatIsDownIsAFailureToRetryLater() {
		PrivatePgBouncer stopped = PrivatePgBouncer.builder(server).database("app", "").statsUsers("watcher").start();
		stopped.close();
		assertThatExceptionOfType(SQLException.class)
			.isThrownBy(() -> PgBouncerLimitsReader.read(stopped.jdbcUrl("app"), user("watcher")))
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("08001"));
	}

	@Test
	void fullPgBouncerStillAnswersOnItsConsole() throws SQLException {
		try (PrivatePgBouncer full = PrivatePgBouncer.builder(server)
			.database("app", "")
			.maxClientConn(1)
			.users("app")
			.statsUsers("watcher")
			.start(); Connection client = DriverManager.getConnection(full.jdbcUrl("app"), "app", "")) {
			assertThatExceptionOfType(SQLException.class)
				.isThrownBy(() -> DriverManager.getConnection(full.jdbcUrl("app"), "app", ""))
				.withMessageContaining("no more connections allowed (max_client_conn)");
			PgBouncerLimits read = PgBouncerLimitsReader.read(full.jdbcUrl("app"), user("watcher"));
			assertThat(read.limits().maxConnections()).isEqualTo(1);
		}
	}

	private static Properties user(String name) {
		Properties properties = new Properties();
		properties.setProperty("user", name);
		return properties;
	}

}

package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.test.PrivatePgBouncer;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Tests for {@link TransientFailures} and {@link RetryingDataSource} behind a real PgBouncer,
 * whose own errors all arrive as SQLSTATE {@code 08P01}. PgBouncer takes at most two clients;
 * database {@code wide} has a server pool of 5, {@code narrow} a server pool of 1 whose clients
 * wait at most 1 s for it; {@code admin} may pause and resume databases. The server is stopped and started by one test, behind a PgBouncer of
 * its own.
 */
class PgBouncerErrorsTests {

	private static final RetrySettings FIVE_QUICK_ATTEMPTS = new RetrySettings(5, Duration.ofMillis(200), 2.0,
			Duration.ofSeconds(1), false);

	// Patient enough for a server start on a busy machine, each attempt waiting about 1 s in
	// PgBouncer
	private static final RetrySettings THIRTY_ATTEMPTS = new RetrySettings(30, Duration.ofMillis(200), 2.0,
			Duration.ofSeconds(1), false);

	@AutoClose
	private static PrivateServer server;

	@AutoClose
	private static PrivatePgBouncer pgBouncer;

	private final RecordingListener listener = new RecordingListener();

	private final List<AutoCloseable> resources = new ArrayList<>();

	@BeforeAll
	static void start() {
		server = PrivateServer.builder().start();
		pgBouncer = PrivatePgBouncer.builder(server)
			.database("wide", "pool_size=5")
			.database("narrow", "pool_size=1")
			.setting("max_client_conn", "2")
			.setting("query_wait_timeout", "1")
			.setting("admin_users", "admin")
			.start();
	}

	@AfterEach
	void closeResources() throws Exception {
		for (AutoCloseable resource : this.resources) {
			resource.close();
		}
	}

	@Test
	void fullPgBouncerIsWaitedForAndTheConnectionComesWhenAClientLeaves() throws Exception {
		Connection first = connect("wide");
		connect("wide");
		SQLException full = failureConnecting("wide");
		assertThat(full.getSQLState()).isEqualTo("08P01");
		assertThat(full.getMessage()).contains("no more connections allowed (max_client_conn)");
		assertThat(TransientFailures.reason(full)).isEqualTo("pgbouncer-full");

		RetryingDataSource dataSource = retrying(pgBouncer.jdbcUrl("wide"));
		CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS).execute(() -> close(first));
		try (Connection connection = dataSource.getConnection()) {
			assertThat(connection.isValid(1)).isTrue();
		}
		assertThat(this.listener.retries).isNotEmpty().allMatch("pgbouncer-full"::equals);
		assertThat(this.listener.failures).isEmpty();
	}

	@Test
	void queueTimeoutOfPgBouncerFailsOnTheFirstAttempt() throws SQLException {
		try (Connection holder = connect("narrow"); Statement statement = holder.createStatement()) {
			statement.execute("SELECT 1");
			SQLException failure = failureConnecting("narrow");
			assertThat(failure.getMessage()).contains("query_wait_timeout");
			assertThat(TransientFailures.reason(failure)).isNull();
			assertThat(TransientFailures.tag(failure)).isEqualTo("pgbouncer-query-wait-timeout");
		}
	}

	@Test
	void startupParameterPgBouncerDoesNotKnowFailsOnTheFirstAttempt() {
		// The server would accept it: options=-c role=... is how a login role becomes another
		RetryingDataSource dataSource = retrying(pgBouncer.jdbcUrl("wide") + "?options=-c%20role%3Dpostgres");
		assertThatExceptionOfType(SQLException.class).isThrownBy(dataSource::getConnection).satisfies((ex) -> {
			assertThat(ex.getSQLState()).isEqualTo("08P01");
			assertThat(ex.getMessage()).contains("unsupported startup parameter");
		});
		assertThat(this.listener.retries).isEmpty();
		assertThat(this.listener.failures).containsExactly("pgbouncer-startup-parameter");
	}

	@Test
	void serverDownBehindPgBouncerIsWaitedForAndTheConnectionComesWhenItIsBack() throws Exception {
		// Without query_wait_timeout, a client waiting at login for a server that is down gets
		// client_login_timeout (server down)
		try (PrivatePgBouncer patient = PrivatePgBouncer.builder(server)
			.database("app", "pool_size=1")
			.setting("query_wait_timeout", "0")
			.setting("client_login_timeout", "1")
			.setting("server_login_retry", "1")
			.start()) {
			server.stop();
			CompletableFuture<Void> restart = CompletableFuture.runAsync(server::start,
					CompletableFuture.delayedExecutor(1500, TimeUnit.MILLISECONDS));
			try {
				RetryingDataSource dataSource = retrying(patient.jdbcUrl("app"), THIRTY_ATTEMPTS);
				try (Connection connection = dataSource.getConnection()) {
					assertThat(connection.isValid(1)).isTrue();
				}
				assertThat(this.listener.retries).isNotEmpty().allMatch("pgbouncer-server-down"::equals);
				assertThat(this.listener.failures).isEmpty();
			}
			finally {
				restart.get(60, TimeUnit.SECONDS);
			}
		}
	}

	@Test
	void disabledDatabaseIsWaitedForAndTheConnectionComesWhenItIsEnabled() throws Exception {
		pgBouncer.console("admin", "DISABLE wide");
		try {
			SQLException disabled = failureConnecting("wide");
			assertThat(disabled.getSQLState()).isEqualTo("08P01");
			assertThat(disabled.getMessage()).contains("database \"wide\" is disabled");
			assertThat(TransientFailures.reason(disabled)).isEqualTo("pgbouncer-database-disabled");

			RetryingDataSource dataSource = retrying(pgBouncer.jdbcUrl("wide"));
			CompletableFuture<Void> enable = CompletableFuture.runAsync(() -> enable("wide"),
					CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS));
			try (Connection connection = dataSource.getConnection()) {
				assertThat(connection.isValid(1)).isTrue();
			}
			enable.get(10, TimeUnit.SECONDS);
			assertThat(this.listener.retries).isNotEmpty().allMatch("pgbouncer-database-disabled"::equals);
			assertThat(this.listener.failures).isEmpty();
		}
		finally {
			enable("wide");
		}
	}

	@Test
	void unknownDatabaseAndUnknownUserFailOnTheFirstAttempt() {
		// Under auth_type = trust, as in production: auth_type = any answers an unknown database
		// with a configuration error instead
		try (PrivatePgBouncer strict = PrivatePgBouncer.builder(server).database("app", "").users("app").start()) {
			SQLException noSuchDatabase = assertThrows(SQLException.class,
					() -> retrying(strict.jdbcUrl("elsewhere")).getConnection());
			assertThat(noSuchDatabase.getMessage()).contains("no such database: elsewhere");
			SQLException unknownUser = assertThrows(SQLException.class,
					() -> retrying(strict.jdbcUrl("app"), "stranger").getConnection());
			assertThat(unknownUser.getMessage()).contains("authentication failed");
			assertThat(this.listener.retries).isEmpty();
			assertThat(this.listener.failures).containsExactly("pgbouncer-no-such-database",
					"pgbouncer-authentication");
		}
	}

	@Test
	void roleTheServerDoesNotKnowFailsOnTheFirstAttempt() {
		try (PrivatePgBouncer misconfigured = PrivatePgBouncer.builder(server)
			.database("app", "user=nobody_here")
			.start()) {
			SQLException failure = assertThrows(SQLException.class,
					() -> retrying(misconfigured.jdbcUrl("app")).getConnection());
			assertThat(failure.getMessage()).contains("role \"nobody_here\" does not exist");
			assertThat(this.listener.retries).isEmpty();
			assertThat(this.listener.failures).containsExactly("pgbouncer-server-login-rejected");
		}
	}

	private Connection connect(String database) throws SQLException {
		Connection connection = DriverManager.getConnection(pgBouncer.jdbcUrl(database), "app", "");
		this.resources.add(connection);
		return connection;
	}

	private SQLException failureConnecting(String database) {
		return assertThrows(SQLException.class, () -> connect(database));
	}

	private RetryingDataSource retrying(String url) {
		return retrying(url, FIVE_QUICK_ATTEMPTS);
	}

	private RetryingDataSource retrying(String url, String user) {
		return retrying(url, user, FIVE_QUICK_ATTEMPTS);
	}

	private RetryingDataSource retrying(String url, RetrySettings settings) {
		return retrying(url, "app", settings);
	}

	private RetryingDataSource retrying(String url, String user, RetrySettings settings) {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl(url);
		pool.setUsername(user);
		pool.setMaximumPoolSize(1);
		pool.setConnectionTimeout(250);
		this.resources.add(pool);
		return new RetryingDataSource(pool, "test", settings, Duration.ofMillis(250), this.listener);
	}

	private static void enable(String database) {
		try {
			pgBouncer.console("admin", "ENABLE " + database);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void close(Connection connection) {
		try {
			connection.close();
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

}

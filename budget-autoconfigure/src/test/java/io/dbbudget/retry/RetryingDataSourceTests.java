package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link RetryingDataSource} against a real PostgreSQL server: a role with
 * {@code CONNECTION LIMIT 1} makes the server "full" for the pool while another session
 * holds the role's only connection.
 */
class RetryingDataSourceTests {

	private static final RetrySettings FIVE_QUICK_ATTEMPTS = new RetrySettings(5, Duration.ofMillis(200), 2.0,
			Duration.ofSeconds(1), false);

	private static TestDatabase database;

	private final RecordingListener listener = new RecordingListener();

	private HikariDataSource pool;

	@BeforeAll
	static void createDatabase() throws SQLException {
		database = TestDatabase.create("retry");
		database.setRoleConnectionLimit(1);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@AfterEach
	void closePool() {
		if (this.pool != null) {
			this.pool.close();
		}
		// A closed connection's server process exits a moment later and counts against the
		// role's one connection until then: end them, and wait until none is left
		database.terminateSessions();
		await().atMost(Duration.ofSeconds(10)).until(() -> database.sessionCount() == 0);
	}

	@Test
	void acquisitionWaitsWhileTheServerIsFullAndSucceedsOnceAConnectionIsFreed() throws Exception {
		RetryingDataSource dataSource = retrying(database.username(), database.password(), database.jdbcUrl());
		Connection holder = holdTheRolesOnlyConnection();
		CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS).execute(() -> close(holder));
		try (Connection connection = dataSource.getConnection()) {
			assertThat(connection.isValid(1)).isTrue();
		}
		assertThat(this.listener.retries).isNotEmpty().allMatch((reason) -> reason.equals("53300"));
		assertThat(this.listener.failures).isEmpty();
	}

	@Test
	void acquisitionGivesUpAfterTheConfiguredAttemptsWithTheServersError() throws Exception {
		RetryingDataSource dataSource = retrying(database.username(), database.password(), database.jdbcUrl());
		try (Connection holder = holdTheRolesOnlyConnection()) {
			assertThatExceptionOfType(SQLException.class).isThrownBy(dataSource::getConnection).satisfies((ex) -> {
				assertThat(ex.getSQLState()).isEqualTo("53300");
				assertThat(ex.getSuppressed()).extracting(Throwable::getMessage)
					.anyMatch((message) -> message.contains("gave up after 5 attempts"));
			});
		}
		assertThat(this.listener.retries).containsExactly("53300", "53300", "53300", "53300");
		assertThat(this.listener.failures).containsExactly("53300");
	}

	@Test
	void unknownRoleFailsOnTheFirstAttempt() {
		RetryingDataSource dataSource = retrying("dbb_no_such_role", "secret", database.jdbcUrl());
		assertThatExceptionOfType(SQLException.class).isThrownBy(dataSource::getConnection)
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("28000"));
		assertThat(this.listener.retries).isEmpty();
		assertThat(this.listener.failures).containsExactly("28000");
	}

	@Test
	void unknownDatabaseFailsOnTheFirstAttempt() {
		String url = database.jdbcUrl().replace(database.databaseName(), "dbb_no_such_database");
		RetryingDataSource dataSource = retrying(database.username(), database.password(), url);
		assertThatExceptionOfType(SQLException.class).isThrownBy(dataSource::getConnection)
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("3D000"));
		assertThat(this.listener.retries).isEmpty();
	}

	@Test
	void interruptDuringBackOffStopsRetryingAndKeepsTheInterruptFlag() throws Exception {
		RetrySettings slowBackOff = new RetrySettings(5, Duration.ofSeconds(20), 2.0, Duration.ofSeconds(60), false);
		RetryingDataSource dataSource = retrying(database.username(), database.password(), database.jdbcUrl(),
				slowBackOff);
		AtomicReference<SQLException> failure = new AtomicReference<>();
		AtomicBoolean interruptedAfterwards = new AtomicBoolean();
		try (Connection holder = holdTheRolesOnlyConnection()) {
			Thread caller = new Thread(() -> {
				try {
					dataSource.getConnection().close();
				}
				catch (SQLException ex) {
					failure.set(ex);
				}
				interruptedAfterwards.set(Thread.currentThread().isInterrupted());
			});
			caller.start();
			// The first attempt fails at once (the role's only connection is held), then the
			// caller backs off for 20 s
			Thread.sleep(1500);
			caller.interrupt();
			caller.join(TimeUnit.SECONDS.toMillis(10));
			assertThat(caller.isAlive()).isFalse();
		}
		assertThat(failure).doesNotHaveNullValue();
		assertThat(failure.get().getSQLState()).isEqualTo("53300");
		assertThat(failure.get().getSuppressed()).extracting(Throwable::getMessage)
			.anyMatch((message) -> message.contains("interrupted after 1 attempts"));
		assertThat(interruptedAfterwards.get()).isTrue();
		assertThat(this.listener.retries).isEmpty();
	}

	@Test
	void successfulFirstAttemptIsThePlainPoolCall() throws Exception {
		RetryingDataSource dataSource = retrying(database.username(), database.password(), database.jdbcUrl());
		for (int i = 0; i < 3; i++) {
			try (Connection connection = dataSource.getConnection()) {
				assertThat(connection.isWrapperFor(org.postgresql.PGConnection.class)).isTrue();
			}
		}
		assertThat(this.listener.retries).isEmpty();
		assertThat(dataSource.unwrap(HikariDataSource.class)).isSameAs(this.pool);
		assertThat(dataSource.isWrapperFor(HikariDataSource.class)).isTrue();
	}

	private RetryingDataSource retrying(String username, String password, String url) {
		return retrying(username, password, url, FIVE_QUICK_ATTEMPTS);
	}

	private RetryingDataSource retrying(String username, String password, String url, RetrySettings settings) {
		this.pool = new HikariDataSource();
		this.pool.setJdbcUrl(url);
		this.pool.setUsername(username);
		this.pool.setPassword(password);
		this.pool.setMaximumPoolSize(1);
		this.pool.setConnectionTimeout(250);
		return new RetryingDataSource(this.pool, "test", settings, Duration.ofMillis(250), this.listener);
	}

	private static Connection holdTheRolesOnlyConnection() throws SQLException {
		return DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
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

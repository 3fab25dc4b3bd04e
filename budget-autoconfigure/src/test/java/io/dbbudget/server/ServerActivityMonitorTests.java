package io.dbbudget.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ServerActivityMonitor}.
 */
class ServerActivityMonitorTests {

	private static final Duration INTERVAL = Duration.ofMillis(50);

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("server-activity-monitor");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void samplesInTheBackgroundOnceAskedAndStopsWhenClosed() {
		AtomicInteger borrowed = new AtomicInteger();
		List<ServerActivity> heard = new ArrayList<>();
		ServerActivityMonitor monitor = new ServerActivityMonitor(() -> {
			borrowed.incrementAndGet();
			return database.openConnection();
		}, INTERVAL);
		monitor.addListener(heard::add);
		assertThat(borrowed).hasValue(0);
		assertThat(monitor.getSample().activity()).isNull();
		await().until(() -> monitor.getSample().current() != null);
		assertThat(monitor.getSample().current().byApplication()).containsKey("db-budget-tests");
		await().until(() -> heard.size() >= 2);
		monitor.close();
		int afterClose = borrowed.get();
		assertThat(monitor.getSample().current()).isNotNull();
		await().during(Duration.ofMillis(200)).until(() -> borrowed.get() == afterClose);
	}

	@Test
	void noConnectionToSpareKeepsTheLastSample() throws SQLException {
		// A fresh connection at each borrow while there is one to spare: the monitor's own
		// schedule may sample too, and the sample closes the connection it borrowed
		AtomicBoolean spare = new AtomicBoolean(true);
		ServerActivityMonitor monitor = new ServerActivityMonitor(
				() -> spare.get() ? database.openConnection() : null, INTERVAL);
		monitor.sample();
		ServerActivity first = monitor.getSample().current();
		spare.set(false);
		monitor.sample();
		assertThat(monitor.getSample().current()).isSameAs(first);
		assertThat(monitor.getSample().failed()).isFalse();
		monitor.close();
	}

	@Test
	void poolTimeoutAndFullServerAreLoadNotFailure() {
		ServerActivityMonitor timeout = failingWith(
				new SQLTransientConnectionException("Connection is not available, request timed out after 250ms"));
		assertThat(timeout.getSample().failed()).isFalse();
		// As Hikari reports it: the driver's error is the cause, and its SQLSTATE is the timeout's
		ServerActivityMonitor full = failingWith(new SQLTransientConnectionException("Connection is not available",
				"53300", new SQLException("too many connections for role", "53300")));
		assertThat(full.getSample().failed()).isFalse();
	}

	@Test
	void unreachableServerFailsTheSampleAndKeepsTheLastActivity() throws SQLException {
		SQLException[] failure = { null };
		ServerActivityMonitor monitor = new ServerActivityMonitor(() -> {
			if (failure[0] != null) {
				throw failure[0];
			}
			return database.openConnection();
		}, INTERVAL);
		monitor.sample();
		ServerActivity activity = monitor.getSample().current();
		failure[0] = new SQLTransientConnectionException("Connection is not available, request timed out after 250ms",
				"08001", new SQLException("Connection to 127.0.0.1:5432 refused", "08001"));
		monitor.sample();
		ServerSample sample = monitor.getSample();
		assertThat(sample.failed()).isTrue();
		assertThat(sample.failure()).isEqualTo(
				"Connection is not available, request timed out after 250ms: Connection to 127.0.0.1:5432 refused");
		assertThat(sample.failedAt()).isNotNull();
		assertThat(sample.current()).isNull();
		assertThat(sample.activity()).isSameAs(activity);
		failure[0] = null;
		monitor.sample();
		assertThat(monitor.getSample().failed()).isFalse();
		monitor.close();
	}

	@Test
	void aSessionEndedByTheServerIsRetriedOnAnother() throws SQLException {
		List<Connection> lent = new ArrayList<>();
		ServerActivityMonitor monitor = new ServerActivityMonitor(() -> {
			Connection connection = database.openConnection();
			if (lent.isEmpty()) {
				// As a pooled session after a server restart: broken, though the pool lends it
				connection.close();
			}
			lent.add(connection);
			return connection;
		}, INTERVAL);
		monitor.sample();
		assertThat(lent).hasSize(2);
		assertThat(monitor.getSample().failed()).isFalse();
		assertThat(monitor.getSample().current()).isNotNull();
		monitor.close();
	}

	@Test
	void nonPositiveIntervalIsRefusedNamingTheProperty() {
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new ServerActivityMonitor(() -> null, Duration.ZERO))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.sample-interval"));
	}

	private static ServerActivityMonitor failingWith(SQLException failure) {
		ServerActivityMonitor monitor = new ServerActivityMonitor(() -> {
			throw failure;
		}, INTERVAL);
		monitor.sample();
		return monitor;
	}

}

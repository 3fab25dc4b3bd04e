package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the start of a pool through {@link RetryingDataSource}: a burst of callers that
 * arrives while the pool is not started yet, against a real PostgreSQL server.
 */
class PoolStartGateTests {

	private static final long TIMEOUT_MILLIS = 1000;

	private static final int CALLERS = 4;

	private static TestDatabase database;

	private final RecordingListener listener = new RecordingListener();

	private HikariDataSource pool;

	private ExecutorService callers;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("startgate");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@AfterEach
	void stop() {
		if (this.callers != null) {
			this.callers.shutdownNow();
		}
		if (this.pool != null) {
			this.pool.close();
		}
	}

	@Test
	void callersQueuedBehindThePoolStartGetTheirOwnPoolTimeoutWithinTheirOwnBound() throws Exception {
		burstAtStartWhileTheWinnerHoldsItsConnection(null);
	}

	@Test
	void throughTheAdmissionGateTheyGetTheSamePoolTimeoutWithinTheirOwnBound() throws Exception {
		burstAtStartWhileTheWinnerHoldsItsConnection(new AdmissionGate(newPool()));
	}

	private void burstAtStartWhileTheWinnerHoldsItsConnection(AdmissionGate gate) throws Exception {
		if (this.pool == null) {
			newPool();
		}
		// one attempt each, so that every failure reaches the listener as it was classified
		RetryingDataSource dataSource = new RetryingDataSource(this.pool, "start",
				new RetrySettings(1, Duration.ofMillis(100), 1.0, Duration.ofMillis(100), false),
				Duration.ofMillis(TIMEOUT_MILLIS), this.listener, gate);
		assertThat(this.pool.getHikariPoolMXBean()).as("the pool has not started").isNull();
		this.callers = Executors.newFixedThreadPool(CALLERS);
		CyclicBarrier together = new CyclicBarrier(CALLERS);
		List<Future<Long>> outcomes = new ArrayList<>();
		for (int i = 0; i < CALLERS; i++) {
			outcomes.add(this.callers.submit(() -> {
				together.await();
				long start = System.nanoTime();
				try (Connection connection = dataSource.getConnection()) {
					// the winner holds its connection past everyone else's timeout
					Thread.sleep(3 * TIMEOUT_MILLIS);
					return -1L;
				}
				catch (SQLException ex) {
					// Hikari's own pool timeout, once the winner has started the pool
					assertThat(TransientFailures.tag(ex)).as(ex.toString()).isEqualTo(TransientFailures.POOL_TIMEOUT);
					assertThat((Object) ex).isInstanceOf(SQLTransientConnectionException.class);
					return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
				}
			}));
		}
		List<Long> waits = new ArrayList<>();
		for (Future<Long> outcome : outcomes) {
			long waited = outcome.get(10 * TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
			if (waited >= 0) {
				waits.add(waited);
			}
		}
		assertThat(waits).hasSize(CALLERS - 1);
		// each waited its own timeout, not its place in a queue of timeouts
		assertThat(waits).allSatisfy((waited) -> assertThat(waited).isBetween(TIMEOUT_MILLIS - 50, 2 * TIMEOUT_MILLIS));
		assertThat(this.listener.failures).containsExactly(TransientFailures.POOL_TIMEOUT, TransientFailures.POOL_TIMEOUT,
				TransientFailures.POOL_TIMEOUT);
	}

	private HikariDataSource newPool() {
		this.pool = new HikariDataSource();
		this.pool.setJdbcUrl(database.jdbcUrl());
		this.pool.setUsername(database.username());
		this.pool.setPassword(database.password());
		this.pool.setMaximumPoolSize(1);
		this.pool.setConnectionTimeout(TIMEOUT_MILLIS);
		return this.pool;
	}

}

package io.dbbudget.pool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link PlanCompleter} against the test server.
 */
class PlanCompleterTests {

	private static TestDatabase database;

	private static HikariDataSource pool;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("plan_completer");
		// Never started: the probe only borrows its URL and credentials
		pool = new HikariDataSource();
		pool.setJdbcUrl(database.jdbcUrl());
		pool.setUsername(database.username());
		pool.setPassword(database.password());
	}

	@AfterAll
	static void dropDatabase() {
		pool.close();
		database.close();
	}

	@Test
	void asksAgainWhenCompletingThePlanFailed() {
		AtomicInteger completions = new AtomicInteger();
		try (PlanCompleter completer = new PlanCompleter(ServerProbe.of(pool, null), (settings) -> {
		}, (reading) -> {
			if (completions.incrementAndGet() == 1) {
				throw new IllegalStateException("the first completion fails");
			}
		})) {
			completer.start();
			await().atMost(Duration.ofSeconds(10)).until(() -> completions.get() == 2);
			// Completed: it asks no more
			await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6)).until(() -> completions.get() == 2);
		}
	}

}

package io.dbbudget.pool;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.ConcurrentBag;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link IdleRevalidation}: on this HikariCP version it reaches the pool's idle
 * connections, and pointed at classes of another shape (as another version's may be) it
 * switches itself off with one warning and never throws, since it runs inside Hikari's
 * {@code SQLExceptionOverride.adjudicate()}.
 */
@ExtendWith(OutputCaptureExtension.class)
class IdleRevalidationTests {

	@Test
	void revalidatesTheIdleConnectionsOfAHikariPool() throws SQLException {
		try (TestDatabase database = TestDatabase.create("idle_revalidation");
				HikariDataSource dataSource = new HikariDataSource()) {
			dataSource.setJdbcUrl(database.jdbcUrl());
			dataSource.setUsername(database.username());
			dataSource.setPassword(database.password());
			dataSource.setMaximumPoolSize(2);
			dataSource.setMinimumIdle(2);
			dataSource.getConnection().close();
			await().atMost(Duration.ofSeconds(20)).until(() -> dataSource.getHikariPoolMXBean() != null
					&& dataSource.getHikariPoolMXBean().getIdleConnections() == 2);
			assertThat(IdleRevalidation.hikari().isSupported()).isTrue();
			assertThat(IdleRevalidation.hikari().revalidate(dataSource)).isEqualTo(2);
		}
	}

	@Test
	void fieldOfAnotherTypeSwitchesItOffWithOneWarning(CapturedOutput output) {
		IdleRevalidation revalidation = new IdleRevalidation(BagOfAnotherType.class, Entry.class.getName());
		assertThat(revalidation.isSupported()).isFalse();
		assertThat(revalidation.revalidate(new BagOfAnotherType())).isZero();
		assertThat(warnings(output)).hasSize(1);
	}

	@Test
	void entryFieldOfAnotherTypeSwitchesItOffWithOneWarning(CapturedOutput output) {
		IdleRevalidation revalidation = new IdleRevalidation(EmptyBag.class, IntEntry.class.getName());
		assertThat(revalidation.isSupported()).isFalse();
		assertThat(revalidation.revalidate(new EmptyBag())).isZero();
		assertThat(warnings(output)).hasSize(1);
	}

	@Test
	void failureWhileRevalidatingSwitchesItOffWithOneWarning(CapturedOutput output) {
		IdleRevalidation revalidation = new IdleRevalidation(NoBag.class, Entry.class.getName());
		assertThat(revalidation.isSupported()).isTrue();
		assertThat(warnings(output)).isEmpty();
		for (int i = 0; i < 3; i++) {
			assertThat(revalidation.revalidate(new NoBag())).isZero();
		}
		assertThat(revalidation.isSupported()).isFalse();
		assertThat(warnings(output)).hasSize(1);
	}

	private static List<String> warnings(CapturedOutput output) {
		return output.getAll()
			.lines()
			.filter((line) -> line.contains("WARN") && line.contains(IdleRevalidation.class.getName()))
			.toList();
	}

	static class Entry {

		long lastAccessed;

	}

	static class IntEntry {

		int lastAccessed;

	}

	static class BagOfAnotherType {

		private final Set<Entry> connectionBag = Set.of(new Entry());

		private final long aliveBypassWindowMs = 500;

	}

	static class EmptyBag {

		private final ConcurrentBag<?> connectionBag = new ConcurrentBag<>((waiting) -> {
		});

		private final long aliveBypassWindowMs = 500;

	}

	// The bag Hikari creates in its constructor, missing: reading it fails only when it is used
	static class NoBag {

		private final ConcurrentBag<?> connectionBag = null;

		private final long aliveBypassWindowMs = 500;

	}

}

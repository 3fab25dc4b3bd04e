package io.dbbudget.server;

import java.time.Duration;

import io.dbbudget.advisor.IdleTransaction;
import io.dbbudget.server.postgresql.ServerActivityReader;
import io.dbbudget.test.Sessions.Session;
import io.dbbudget.test.Sessions;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the sessions idle in a transaction that {@link ServerActivityReader} lists: this
 * application's and role's own, with their ages, on a real server.
 */
class IdleTransactionSampleTests {

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("idle-transaction-sample");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void listsOnlyThisApplicationsSessionsIdleInATransactionWithTheirAges() throws Exception {
		try (Session reader = Sessions.idle(database, "orders");
				Session first = Sessions.idleInTransaction(database, "orders");
				Session idle = Sessions.idle(database, "orders");
				Session otherApplication = Sessions.idleInTransaction(database, "billing")) {
			Thread.sleep(300);
			try (Session second = Sessions.idleInTransaction(database, "orders")) {
				ServerActivity activity = ServerActivityReader.read(reader.connection());
				assertThat(activity.idleInTransaction()).extracting(IdleTransaction::pid)
					.containsExactly(first.pid(), second.pid());
				IdleTransaction oldest = activity.idleInTransaction().get(0);
				assertThat(oldest.idleFor()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
				assertThat(oldest.transactionAge()).isGreaterThanOrEqualTo(oldest.idleFor());
			}
		}
	}

	@Test
	void unnamedApplicationsHaveNoSessionsOfTheirOwn() throws Exception {
		try (Session reader = Sessions.idle(database, "PostgreSQL JDBC Driver");
				Session unnamed = Sessions.idleInTransaction(database, "PostgreSQL JDBC Driver")) {
			assertThat(ServerActivityReader.read(reader.connection()).idleInTransaction()).isEmpty();
		}
	}

}

package io.dbbudget.server.postgresql;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;

import io.dbbudget.server.IdleSessionTermination.TerminatedSession;
import io.dbbudget.server.IdleSessionTermination;
import io.dbbudget.server.SparedSessions;
import io.dbbudget.test.Sessions.Session;
import io.dbbudget.test.Sessions;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link IdleSessionTerminator} on a real server: it ends only the idle sessions of
 * its own application and role.
 */
class IdleSessionTerminatorTests {

	private static final String APPLICATION = "terminator-orders";

	private static final Duration AGE = Duration.ofMillis(500);

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("idle-session-terminator");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void endsOnlyOwnSessionsIdleLongerThanTheAge() throws Exception {
		try (Session caller = Sessions.idle(database, APPLICATION);
				Session oldIdle = Sessions.idle(database, APPLICATION);
				Session otherApplication = Sessions.idle(database, "terminator-billing");
				Session inTransaction = Sessions.idleInTransaction(database, APPLICATION);
				Session lockHolder = Sessions.idle(database, APPLICATION);
				Session active = Sessions.active(database, APPLICATION);
				Session spared = Sessions.idle(database, APPLICATION);
				Connection superuser = database.adminConnection()) {
			try (Statement statement = lockHolder.connection().createStatement()) {
				statement.execute("SELECT pg_advisory_lock(42)");
			}
			try (Statement statement = superuser.createStatement()) {
				statement.execute("SET application_name = '" + APPLICATION + "'");
			}
			Thread.sleep(AGE.toMillis() + 200);
			try (Session fresh = Sessions.idle(database, APPLICATION)) {
				IdleSessionTermination termination = IdleSessionTerminator.terminate(caller.connection(), AGE,
						new SparedSessions(Set.of((long) spared.pid()), null));
				assertThat(termination.applicationName()).isEqualTo(APPLICATION);
				assertThat(termination.user()).isEqualTo(database.username());
				assertThat(termination.idleLongerThan()).isEqualTo(AGE);
				assertThat(termination.skipped()).isNull();
				assertThat(termination.terminated()).extracting(TerminatedSession::pid).containsExactly(oldIdle.pid());
				assertThat(termination.terminated()).singleElement()
					.satisfies((session) -> assertThat(session.database()).isEqualTo(database.databaseName()));
				await().until(() -> Sessions.state(database, oldIdle.pid()) == null);
				assertThat(Sessions.state(database, caller.pid())).isEqualTo("idle");
				assertThat(Sessions.state(database, fresh.pid())).isEqualTo("idle");
				assertThat(Sessions.state(database, otherApplication.pid())).isEqualTo("idle");
				assertThat(Sessions.state(database, inTransaction.pid())).isEqualTo("idle in transaction");
				assertThat(Sessions.state(database, lockHolder.pid())).isEqualTo("idle");
				assertThat(Sessions.state(database, active.pid())).isEqualTo("active");
				assertThat(Sessions.state(database, spared.pid())).isEqualTo("idle");
				assertThat(superuser.isValid(1)).isTrue();
			}
		}
	}

	@Test
	void refusesAnApplicationWithoutANameOfItsOwn() throws Exception {
		for (String name : new String[] { "", "PostgreSQL JDBC Driver" }) {
			try (Session caller = Sessions.idle(database, name); Session other = Sessions.idle(database, name)) {
				Thread.sleep(AGE.toMillis() + 200);
				IdleSessionTermination termination = IdleSessionTerminator.terminate(caller.connection(), AGE,
						new SparedSessions(Set.of(), null));
				assertThat(termination.terminated()).isEmpty();
				assertThat(termination.skipped()).contains("no name of their own")
					.contains("spring.application.name");
				assertThat(Sessions.state(database, other.pid())).isEqualTo("idle");
			}
		}
	}

}

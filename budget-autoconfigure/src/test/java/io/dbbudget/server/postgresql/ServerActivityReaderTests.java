package io.dbbudget.server.postgresql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import io.dbbudget.server.ServerActivity;
import io.dbbudget.test.Sessions.Session;
import io.dbbudget.test.Sessions;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ServerActivityReader} on a real server, read by a role that is neither a
 * superuser nor a member of {@code pg_read_all_stats}.
 */
class ServerActivityReaderTests {

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("server-activity-reader");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void countsClientSessionsByStateAndApplication() throws Exception {
		try (Session reader = Sessions.idle(database, "activity-counting");
				Session idle = Sessions.idle(database, "activity-billing");
				Session otherIdle = Sessions.idle(database, "activity-billing");
				Session inTransaction = Sessions.idleInTransaction(database, "activity-orders");
				Session active = Sessions.active(database, "activity-orders")) {
			ServerActivity activity = ServerActivityReader.read(reader.connection());
			assertThat(activity.byApplication()).containsEntry("activity-billing", 2)
				.containsEntry("activity-orders", 2)
				.containsEntry("activity-counting", 1);
			assertThat(activity.byState()).containsKeys("idle", "idle in transaction", "active");
			assertThat(activity.byState().get("active")).isGreaterThanOrEqualTo(2);
			assertThat(activity.byState().values().stream().mapToInt(Integer::intValue).sum())
				.isEqualTo(activity.connections());
			assertThat(activity.byApplication().values().stream().mapToInt(Integer::intValue).sum())
				.isEqualTo(activity.connections());
			assertThat(activity.maxConnections()).isEqualTo(Integer.parseInt(superuser("SHOW max_connections")));
			assertThat(activity.utilization())
				.isEqualTo((double) activity.connections() / activity.maxConnections());
		}
	}

	@Test
	void countsOtherRolesSessionsAsUnknownAndLeavesOutBackgroundProcesses() throws SQLException {
		try (Session reader = Sessions.idle(database, "activity-reader");
				Connection superuser = database.adminConnection()) {
			// The superuser's own session: visible to it, hidden from the reading role
			assertThat(ServerActivityReader.read(reader.connection()).byState())
				.containsKey(ServerActivity.UNKNOWN_STATE);
			// Two reads at two moments: sessions of other tests may come and go in between
			await().untilAsserted(() -> {
				ServerActivity activity = ServerActivityReader.read(reader.connection());
				int clientSessions = Integer.parseInt(
						superuser("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"));
				assertThat(activity.connections()).isEqualTo(clientSessions - 1);
			});
		}
	}

	@Test
	void ordersCountsMostFirst() throws SQLException {
		try (Session reader = Sessions.idle(database, "activity-reader");
				Session first = Sessions.idle(database, "activity-many");
				Session second = Sessions.idle(database, "activity-many");
				Session third = Sessions.idle(database, "activity-many")) {
			ServerActivity activity = ServerActivityReader.read(reader.connection());
			assertThat(List.copyOf(activity.byApplication().values()))
				.isSortedAccordingTo((a, b) -> Integer.compare(b, a));
		}
	}

	// Counted on a connection of its own, which is one more client session
	private static String superuser(String query) throws SQLException {
		try (Connection admin = database.adminConnection();
				Statement statement = admin.createStatement();
				ResultSet result = statement.executeQuery(query)) {
			result.next();
			return result.getString(1);
		}
	}

}

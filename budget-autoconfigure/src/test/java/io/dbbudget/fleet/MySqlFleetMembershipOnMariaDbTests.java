package io.dbbudget.fleet;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link MySqlFleetMembership} on the shared MariaDB, with both drivers: members are
 * counted, a member whose session dies disappears and its slot is taken again, the turn is
 * one member's at a time, fleets of the same group on another database are not counted, and
 * members whose connections name no database count each other too.
 */
class MySqlFleetMembershipOnMariaDbTests {

	private static final MemberState STATE = new MemberState(1, 1, 1);

	private static MariaDbDatabase database;

	private static MariaDbDatabase otherDatabase;

	@BeforeAll
	static void createDatabases() {
		database = MariaDbDatabase.create("mysql-fleet");
		otherDatabase = MariaDbDatabase.create("mysql-fleet-other");
	}

	@AfterAll
	static void dropDatabases() {
		database.close();
		otherDatabase.close();
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void membersAreCountedAndAMemberWhoseSessionDiesDisappears(MySqlDriver driver) throws Exception {
		int group = PostgreSqlFleetMembership.groupKey("orders-" + driver);
		try (Connection first = database.openConnection(driver);
				Connection second = database.openConnection(driver);
				Connection third = database.openConnection(driver);
				Connection elsewhere = otherDatabase.openConnection(driver);
				Connection observer = database.openConnection(driver)) {
			assertThat(MySqlFleetMembership.join(first, group)).hasValue(0);
			assertThat(MySqlFleetMembership.join(second, group)).hasValue(1);
			assertThat(MySqlFleetMembership.join(third, group)).hasValue(2);
			assertThat(MySqlFleetMembership.join(elsewhere, group)).hasValue(0);
			assertThat(MySqlFleetMembership.members(observer, group)).extracting(FleetMember::slot)
				.containsExactly(0, 1, 2);
			assertThat(MySqlFleetMembership.members(observer, group)).allMatch((member) -> member.state() == null);
			assertThat(MySqlFleetMembership.members(observer, PostgreSqlFleetMembership.groupKey("billing"))).isEmpty();
			second.close();
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(MySqlFleetMembership.members(observer, group))
					.extracting(FleetMember::slot)
					.containsExactly(0, 2));
			try (Connection joiner = database.openConnection(driver)) {
				assertThat(MySqlFleetMembership.join(joiner, group)).hasValue(1);
				assertThat(MySqlFleetMembership.members(observer, group)).hasSize(3);
			}
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void aKilledMembersSlotIsFreed(MySqlDriver driver) throws Exception {
		int group = PostgreSqlFleetMembership.groupKey("killed-" + driver);
		try (Connection member = database.openConnection(driver);
				Connection observer = database.openConnection(driver)) {
			assertThat(MySqlFleetMembership.join(member, group)).hasValue(0);
			assertThat(MySqlFleetMembership.members(observer, group)).hasSize(1);
			try (Connection admin = database.server().openAdminConnection();
					Statement statement = admin.createStatement()) {
				statement.execute("KILL CONNECTION " + id(member));
			}
			await().atMost(Duration.ofSeconds(10))
				.until(() -> MySqlFleetMembership.members(observer, group).isEmpty());
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void theTurnIsOneMembersAtATime(MySqlDriver driver) throws SQLException {
		int group = PostgreSqlFleetMembership.groupKey("turns-" + driver);
		try (Connection first = database.openConnection(driver);
				Connection second = database.openConnection(driver)) {
			MySqlFleetMembership.join(first, group);
			MySqlFleetMembership.join(second, group);
			AtomicReference<List<FleetMember>> secondsTurn = new AtomicReference<>();
			List<FleetMember> firstsTurn = MySqlFleetMembership.takeTurn(first, group, Duration.ofSeconds(1),
					(members) -> {
						try {
							secondsTurn.set(MySqlFleetMembership.takeTurn(second, group, Duration.ofMillis(300),
									(others) -> STATE));
						}
						catch (SQLException ex) {
							throw new IllegalStateException(ex);
						}
						return STATE;
					});
			assertThat(firstsTurn).extracting(FleetMember::slot).containsExactly(0, 1);
			assertThat(secondsTurn.get()).isNull();
			assertThat(MySqlFleetMembership.takeTurn(second, group, Duration.ofMillis(300), (others) -> STATE))
				.hasSize(2);
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void membersWithoutADefaultDatabaseAreCounted(MySqlDriver driver) throws SQLException {
		int group = PostgreSqlFleetMembership.groupKey("no-database-" + driver);
		try (Connection first = openWithoutDatabase(driver);
				Connection second = openWithoutDatabase(driver);
				Connection observer = openWithoutDatabase(driver);
				Connection withDatabase = database.openConnection(driver)) {
			assertThat(MySqlFleetMembership.join(first, group)).hasValue(0);
			assertThat(MySqlFleetMembership.join(second, group)).hasValue(1);
			assertThat(MySqlFleetMembership.members(observer, group)).extracting(FleetMember::slot)
				.containsExactly(0, 1);
			assertThat(MySqlFleetMembership.takeTurn(first, group, Duration.ofSeconds(1), (members) -> STATE))
				.hasSize(2);
			// A fleet of the same group on a database is another fleet
			assertThat(MySqlFleetMembership.members(withDatabase, group)).isEmpty();
		}
	}

	// DATABASE() is NULL on these connections
	private static Connection openWithoutDatabase(MySqlDriver driver) throws SQLException {
		return DriverManager.getConnection(driver.urlPrefix() + database.server().hostAndPort() + "/",
				database.username(), database.password());
	}

	private static long id(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT CONNECTION_ID()")) {
			result.next();
			return result.getLong(1);
		}
	}

}

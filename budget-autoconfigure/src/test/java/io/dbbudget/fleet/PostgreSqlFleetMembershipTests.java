package io.dbbudget.fleet;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link PostgreSqlFleetMembership}'s turns on a real PostgreSQL server: one member reads the
 * members for all and sends them on the group's channel, the others take their turns on what
 * they received, and a member's growth reaches the next member to take the turn.
 */
class PostgreSqlFleetMembershipTests {

	private static final Duration HEARTBEAT = Duration.ofSeconds(5);

	// The members query of the previous version, the 2026-11-27 snapshot, which matches a
	// member's bigint lock by its slot's exact key
	private static final String PREVIOUS_MEMBERS = """
			SELECT l.objid::bigint, a.application_name, s.pid IS NOT NULL
			FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
			  LEFT JOIN pg_locks s ON s.pid = l.pid AND s.locktype = 'advisory' AND s.objsubid = 1
			    AND s.classid = l.classid AND s.objid = l.objid AND s.granted
			WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::bigint = ?
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY 1""";

	private static TestDatabase database;

	private int groupKey;

	private final List<Connection> sessions = new ArrayList<>();

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("fleet_membership");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@AfterEach
	void closeSessions() throws SQLException {
		for (Connection session : this.sessions) {
			session.close();
		}
	}

	@Test
	void followersTakeTheirTurnOnWhatTheReaderSentAndOnTheGrowthOfOthers() throws SQLException {
		this.groupKey = PostgreSqlFleetMembership.groupKey("membership-follow");
		Member reader = join();
		Member grower = join();
		Member follower = join();
		// The first to take its turn reads for all; the others joined after nothing was sent
		assertThat(reader.turn(new MemberState(4, 4, 8))).hasSize(3);
		assertThat(reader.view().reader()).isTrue();
		grower.turn(new MemberState(4, 4, 8));
		follower.turn(new MemberState(4, 4, 8));
		reader.turn(new MemberState(4, 4, 8));
		// Read now by the follower, an old member would be seen; from what the reader sent, it is not
		Connection old = oldMember(9);
		assertThat(slots(follower.turn(new MemberState(4, 4, 8)))).containsExactly(0, 1, 2);
		grower.turn(new MemberState(12, 4, 12));
		assertThat(follower.turn(new MemberState(4, 4, 8)))
			.contains(new FleetMember(grower.slot(), new MemberState(12, 4, 12), HEARTBEAT));
		// A shrink is not sent: the others keep counting the larger state, which is safe
		grower.turn(new MemberState(2, 2, 6));
		assertThat(follower.turn(new MemberState(4, 4, 8)))
			.contains(new FleetMember(grower.slot(), new MemberState(12, 4, 12), HEARTBEAT));
		// The reader counts the old member, which does not send its growth: the others read for
		// themselves from then on
		reader.turn(new MemberState(4, 4, 8));
		assertThat(slots(follower.turn(new MemberState(4, 4, 8)))).containsExactly(0, 1, 2, 9);
		// Its lock goes at once, where the end of its session would take a moment
		try (PreparedStatement leave = old.prepareStatement("SELECT pg_advisory_unlock_all()")) {
			leave.execute();
		}
		reader.turn(new MemberState(4, 4, 8));
		grower.turn(new MemberState(2, 2, 6));
		assertThat(follower.turn(new MemberState(4, 4, 8)))
			.containsExactly(new FleetMember(reader.slot(), new MemberState(4, 4, 8), HEARTBEAT),
					new FleetMember(grower.slot(), new MemberState(2, 2, 6), HEARTBEAT),
					new FleetMember(follower.slot(), new MemberState(4, 4, 8), HEARTBEAT));
	}

	@Test
	void followerReadsForItselfWhenItHasHeardNothingFromTheReaderForTwoHeartbeats() throws SQLException {
		this.groupKey = PostgreSqlFleetMembership.groupKey("membership-stale");
		AtomicLong now = new AtomicLong();
		Member reader = join();
		Member follower = join(now::get);
		reader.turn(new MemberState(1, 1, 5));
		follower.turn(new MemberState(1, 1, 5));
		reader.turn(new MemberState(1, 1, 5));
		oldMember(9);
		assertThat(slots(follower.turn(new MemberState(1, 1, 5)))).containsExactly(0, 1);
		// The reader is alive but says nothing, as a stalled process would
		now.addAndGet(HEARTBEAT.multipliedBy(2).plusMillis(1).toNanos());
		assertThat(slots(follower.turn(new MemberState(1, 1, 5)))).containsExactly(0, 1, 9);
	}

	@Test
	void nextMemberToTakeItsTurnReadsForAllWhenTheReaderVanishes() throws SQLException {
		List<Member> members = twoAfterATurnEach("membership-reader");
		Member first = members.get(0);
		Member second = members.get(1);
		assertThat(first.view().reader()).isTrue();
		assertThat(second.view().reader()).isFalse();
		first.connection().close();
		await().until(() -> readers() == 0);
		assertThat(second.turn(new MemberState(1, 1, 5))).extracting(FleetMember::slot).containsExactly(second.slot());
		assertThat(second.view().reader()).isTrue();
	}

	@Test
	void membersOfAThousandFitInTheMessagesTheReaderSends() throws SQLException {
		List<Member> members = twoAfterATurnEach("membership-large");
		Member reader = members.get(0);
		Member follower = members.get(1);
		// A thousand members, each "slot:demand:held:allocation", are about 24 KB: four messages
		FleetView large = new FleetView(reader.slot(), HEARTBEAT);
		large.becameReader();
		for (int slot = 0; slot < 1000; slot++) {
			large.receive("G " + slot + ":100000:100000:100000");
		}
		List<String> sent = large.decided(new MemberState(1, 1, 5));
		assertThat(sent).hasSizeGreaterThan(1).allMatch((payload) -> payload.length() < 8000);
		try (PreparedStatement notify = reader.connection().prepareStatement("SELECT pg_notify(?, ?)")) {
			for (String payload : sent) {
				notify.setString(1, "db_budget_fleet_" + this.groupKey);
				notify.setString(2, payload);
				notify.execute();
			}
		}
		// The follower's own slot is among them, so it takes its turn on them
		assertThat(follower.turn(new MemberState(1, 1, 5))).hasSize(1000);
	}

	@Test
	void messagesFromASessionOfAnotherRoleAreIgnored() throws SQLException {
		List<Member> members = twoAfterATurnEach("membership-forged");
		Member reader = members.get(0);
		Member follower = members.get(1);
		reader.turn(new MemberState(4, 4, 8));
		follower.turn(new MemberState(4, 4, 8));
		reader.turn(new MemberState(4, 4, 8));
		// A role with nothing but CONNECT says that nobody holds anything, and floods the channel
		try (Connection stranger = database.openConnectionAsStranger()) {
			this.sessions.add(stranger);
			send(stranger, "S1/1 " + reader.slot() + ":0:0:0;" + follower.slot() + ":0:0:0");
			send(stranger, "G " + reader.slot() + ":0:0:0");
			assertThat(follower.turn(new MemberState(4, 4, 8)))
				.contains(new FleetMember(reader.slot(), new MemberState(4, 4, 8), HEARTBEAT));
			for (int i = 0; i < 1100; i++) {
				send(stranger, "S1/1 " + reader.slot() + ":0:0:0;" + follower.slot() + ":0:0:0");
			}
			assertThat(follower.turn(new MemberState(4, 4, 8)))
				.contains(new FleetMember(reader.slot(), new MemberState(4, 4, 8), HEARTBEAT));
		}
	}

	@Test
	void aGrowthDroppedBehindAFloodIsNotMissed() throws SQLException {
		this.groupKey = PostgreSqlFleetMembership.groupKey("membership-flood");
		Member reader = join();
		Member grower = join();
		Member follower = join();
		reader.turn(new MemberState(4, 4, 8));
		grower.turn(new MemberState(4, 4, 8));
		follower.turn(new MemberState(4, 4, 8));
		reader.turn(new MemberState(4, 4, 8));
		// The reader's snapshot, then more than the follower keeps from a session still there,
		// then the grower's growth
		try (Connection stranger = database.openConnectionAsStranger()) {
			this.sessions.add(stranger);
			for (int i = 0; i < 1100; i++) {
				send(stranger, "G 9:0:0:0");
			}
			grower.turn(new MemberState(12, 4, 12));
			assertThat(follower.turn(new MemberState(4, 4, 8)))
				.contains(new FleetMember(grower.slot(), new MemberState(12, 4, 12), HEARTBEAT));
		}
	}

	@Test
	void aMemberSpeaksOnlyForItsOwnSlotAndNeverBelowNothing() throws SQLException {
		this.groupKey = PostgreSqlFleetMembership.groupKey("membership-own-slot");
		Member reader = join();
		Member grower = join();
		Member follower = join();
		reader.turn(new MemberState(4, 4, 8));
		grower.turn(new MemberState(4, 4, 8));
		follower.turn(new MemberState(4, 4, 8));
		reader.turn(new MemberState(4, 4, 8));
		// Sent by a member's own session: neither another slot's state nor a negative count counts
		send(grower.connection(), "G " + reader.slot() + ":0:0:0");
		send(grower.connection(), "G " + grower.slot() + ":-9:-9:-9");
		assertThat(follower.turn(new MemberState(4, 4, 8))).containsExactly(
				new FleetMember(reader.slot(), new MemberState(4, 4, 8), HEARTBEAT),
				new FleetMember(grower.slot(), new MemberState(4, 4, 8), HEARTBEAT),
				new FleetMember(follower.slot(), new MemberState(4, 4, 8), HEARTBEAT));
	}

	@Test
	void aStrangerThatTakesTheReaderLockAndASlotMakesTheMembersReadForThemselves() throws SQLException {
		this.groupKey = PostgreSqlFleetMembership.groupKey("membership-squatted");
		Connection stranger = database.openConnectionAsStranger();
		this.sessions.add(stranger);
		try (PreparedStatement squat = stranger
			.prepareStatement("SELECT pg_advisory_lock(?), pg_advisory_lock(?, 7), pg_advisory_lock(?)")) {
			squat.setLong(1, ((long) this.groupKey << 32) | 0xFFFFFFFEL);
			squat.setInt(2, this.groupKey);
			squat.setLong(3, ((long) this.groupKey << 32) | 7);
			squat.execute();
		}
		Member first = join();
		Member second = join();
		first.turn(new MemberState(4, 4, 8));
		second.turn(new MemberState(4, 4, 8));
		assertThat(first.view().reader()).isFalse();
		send(stranger, "S1/1 " + first.slot() + ":0:0:0;" + second.slot() + ":0:0:0");
		// It counts as a member that published nothing: that only makes the others' shares smaller
		assertThat(second.turn(new MemberState(4, 4, 8))).containsExactly(
				new FleetMember(first.slot(), new MemberState(4, 4, 8), HEARTBEAT),
				new FleetMember(second.slot(), new MemberState(4, 4, 8), HEARTBEAT), new FleetMember(7, null));
	}

	@Test
	void membersLearnEachOthersHeartbeatFromTheirOwnReadsAndFromTheReader() throws SQLException {
		this.groupKey = PostgreSqlFleetMembership.groupKey("membership-heartbeats");
		Member reader = join();
		// Said in tenths of a second, rounded up: nobody counts it shorter than it is
		Member slow = join(Duration.ofMillis(12_340), System::nanoTime);
		Duration slowHeartbeat = Duration.ofMillis(12_400);
		// A member says its heartbeat when it prepares its first turn
		assertThat(reader.turn(new MemberState(4, 4, 8))).containsExactly(
				new FleetMember(reader.slot(), null, HEARTBEAT), new FleetMember(slow.slot(), null));
		// It joined after the reader sent the members: it reads them itself
		assertThat(slow.turn(new MemberState(2, 2, 6))).containsExactly(
				new FleetMember(reader.slot(), new MemberState(4, 4, 8), HEARTBEAT),
				new FleetMember(slow.slot(), null, slowHeartbeat));
		reader.turn(new MemberState(4, 4, 8));
		// Read now by the slow member, an old member would be seen; from what the reader sent, it is not
		oldMember(9);
		assertThat(slow.turn(new MemberState(2, 2, 6))).containsExactly(
				new FleetMember(reader.slot(), new MemberState(4, 4, 8), HEARTBEAT),
				new FleetMember(slow.slot(), new MemberState(2, 2, 6), slowHeartbeat));
		// A member of an older version says no heartbeat
		assertThat(reader.turn(new MemberState(4, 4, 8))).contains(new FleetMember(9, new MemberState(1, 1, 1)));
	}

	@Test
	void membersOfThePreviousVersionReadAGroupWhoseMembersSayTheirHeartbeatAsBefore() throws SQLException {
		List<Member> members = twoAfterATurnEach("membership-previous");
		// As the 2026-11-27 snapshot reads the members: each once, with its state, sending its growth
		List<String> read = new ArrayList<>();
		try (PreparedStatement statement = members.get(0).connection().prepareStatement(PREVIOUS_MEMBERS)) {
			statement.setLong(1, this.groupKey);
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					read.add(result.getLong(1) + " " + MemberState.parse(result.getString(2)) + " " + result.getBoolean(3));
				}
			}
		}
		assertThat(read).containsExactly(members.get(0).slot() + " " + new MemberState(1, 1, 5) + " true",
				members.get(1).slot() + " " + new MemberState(1, 1, 5) + " true");
	}

	private void send(Connection sender, String payload) throws SQLException {
		try (PreparedStatement notify = sender.prepareStatement("SELECT pg_notify(?, ?)")) {
			notify.setString(1, "db_budget_fleet_" + this.groupKey);
			notify.setString(2, payload);
			notify.execute();
		}
	}

	private List<Member> twoAfterATurnEach(String group) throws SQLException {
		this.groupKey = PostgreSqlFleetMembership.groupKey(group);
		List<Member> members = List.of(join(), join());
		for (Member member : members) {
			member.turn(new MemberState(1, 1, 5));
		}
		return members;
	}

	private Member join() throws SQLException {
		return join(System::nanoTime);
	}

	private Member join(LongSupplier nanoTime) throws SQLException {
		return join(HEARTBEAT, nanoTime);
	}

	private Member join(Duration heartbeat, LongSupplier nanoTime) throws SQLException {
		Connection connection = database.openConnection();
		this.sessions.add(connection);
		int slot = PostgreSqlFleetMembership.join(connection, this.groupKey).getAsInt();
		return new Member(connection, slot, new FleetView(slot, heartbeat, nanoTime), this.groupKey);
	}

	// A member of a version that reads for itself: it holds its slot and publishes, nothing more
	private Connection oldMember(int slot) throws SQLException {
		Connection connection = database.openConnection();
		this.sessions.add(connection);
		try (PreparedStatement statement = connection
			.prepareStatement("SELECT pg_advisory_lock(?, ?), set_config('application_name', ?, false)")) {
			statement.setInt(1, this.groupKey);
			statement.setInt(2, slot);
			statement.setString(3, new MemberState(1, 1, 1).encode());
			statement.execute();
		}
		return connection;
	}

	private int readers() throws SQLException {
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin.prepareStatement("SELECT count(*) FROM pg_locks WHERE "
						+ "locktype = 'advisory' AND objsubid = 1 AND classid::bigint = ? AND objid::bigint = 4294967294")) {
			statement.setLong(1, this.groupKey);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getInt(1);
			}
		}
	}

	private static List<Integer> slots(List<FleetMember> members) {
		return members.stream().map(FleetMember::slot).toList();
	}

	private record Member(Connection connection, int slot, FleetView view, int groupKey) {

		List<FleetMember> turn(MemberState state) throws SQLException {
			AtomicReference<List<FleetMember>> seen = new AtomicReference<>();
			List<FleetMember> members = PostgreSqlFleetMembership.takeTurn(this.connection, this.groupKey, this.view,
					(decidedOn) -> {
						seen.set(decidedOn);
						return state;
					});
			assertThat(members).isEqualTo(seen.get());
			return members;
		}

	}

}

package io.dbbudget.fleet;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

import io.dbbudget.budget.ServerLimits;
import io.dbbudget.scheduling.BackgroundScheduler;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Tests for {@link FleetCoordinator} against a real PostgreSQL server, and against a server
 * that accepts connections and never answers.
 */
class FleetCoordinatorTests {

	private static final FleetSettings SETTINGS = new FleetSettings("coordinator-tests", Duration.ofMillis(200), true);

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("fleet_coordinator");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void stateAnswersAtOnceWhileAHeartbeatWaitsOnAServerThatNeverAnswers() throws Exception {
		List<Socket> accepted = new CopyOnWriteArrayList<>();
		try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			Thread acceptor = new Thread(() -> {
				try {
					while (true) {
						accepted.add(silent.accept());
					}
				}
				catch (IOException ex) {
					// closed
				}
			});
			acceptor.setDaemon(true);
			acceptor.start();
			PGSimpleDataSource dataSource = new PGSimpleDataSource();
			dataSource.setUrl("jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/postgres");
			dataSource.setUser("postgres");
			dataSource.setConnectTimeout(10);
			dataSource.setLoginTimeout(10);
			FleetCoordinator coordinator = new FleetCoordinator(SETTINGS, dataSource, new RecordingListener());
			coordinator.start();
			await().until(() -> !accepted.isEmpty());
			// The heartbeat is now inside the connection attempt, for up to 10 s
			assertTimeoutPreemptively(Duration.ofSeconds(1), () -> {
				FleetCoordinator.FleetState state = coordinator.state();
				assertThat(state.connected()).isFalse();
				assertThat(state.group()).isEqualTo("coordinator-tests");
			});
			assertTimeoutPreemptively(Duration.ofSeconds(3), coordinator::close);
			for (Socket socket : accepted) {
				socket.close();
			}
		}
	}

	@Test
	void heartbeatAfterCloseLeavesNoPhantomMember() throws SQLException {
		FleetCoordinator coordinator = new FleetCoordinator(SETTINGS, dataSource(), new RecordingListener());
		coordinator.start();
		await().until(() -> members() == 1);
		coordinator.close();
		await().until(() -> members() == 0);
		// A heartbeat that was already dequeued when close() ran
		coordinator.heartbeat();
		assertThat(members()).isZero();
	}

	@Test
	void memberPublishesItsStateThroughItsSessionName() {
		RecordingListener listener = new RecordingListener();
		FleetCoordinator coordinator = new FleetCoordinator(SETTINGS, dataSource(), listener);
		try {
			coordinator.start();
			await().untilAsserted(() -> assertThat(coordinator.state().members()).singleElement()
				.satisfies((member) -> {
					assertThat(member.self()).isTrue();
					assertThat(member.demand()).isEqualTo(3);
					assertThat(member.held()).isEqualTo(2);
					assertThat(member.allocation()).isEqualTo(5);
				}));
			assertThat(listener.seen).isNotEmpty();
		}
		finally {
			coordinator.close();
		}
	}

	@Test
	void anotherMemberReadsForAllWithinTwoHeartbeatsWhenTheReaderVanishes() throws SQLException {
		FleetSettings settings = new FleetSettings("coordinator-reader", Duration.ofMillis(500), true);
		List<FleetCoordinator> coordinators = new CopyOnWriteArrayList<>();
		try {
			for (int i = 0; i < 3; i++) {
				FleetCoordinator coordinator = new FleetCoordinator(settings, dataSource(), new RecordingListener());
				coordinators.add(coordinator);
				coordinator.start();
			}
			await().until(() -> coordinators.stream().allMatch((coordinator) -> coordinator.state().members().size() == 3));
			int reader = readerPid(settings.group());
			assertThat(reader).isPositive();
			try (Connection admin = database.adminConnection();
					PreparedStatement terminate = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
				terminate.setInt(1, reader);
				terminate.execute();
			}
			await().until(() -> readerPid(settings.group()) != reader);
			await().atMost(settings.heartbeat().multipliedBy(2)).until(() -> readerPid(settings.group()) > 0);
			assertThat(readerPid(settings.group())).isNotEqualTo(reader);
		}
		finally {
			coordinators.forEach(FleetCoordinator::close);
		}
	}

	@Test
	void aTurnWaitLongerThanTheReadTimeoutOfTheConnectionsKeepsTheSession() throws Exception {
		// Half of 8 s to wait for the turn, on connections whose reads time out after 1 s
		FleetSettings settings = new FleetSettings("coordinator-long-turns", Duration.ofSeconds(8), true);
		PGSimpleDataSource dataSource = (PGSimpleDataSource) dataSource();
		dataSource.setSocketTimeout(1);
		RecordingListener listener = new RecordingListener();
		FleetCoordinator coordinator = new FleetCoordinator(settings, dataSource, listener);
		try (Connection other = database.openConnection();
				PreparedStatement hold = other.prepareStatement("SELECT pg_advisory_lock(?)");
				PreparedStatement release = other.prepareStatement("SELECT pg_advisory_unlock(?)")) {
			long turn = ((long) PostgreSqlFleetMembership.groupKey(settings.group()) << 32) | 0xFFFFFFFFL;
			hold.setLong(1, turn);
			hold.execute();
			coordinator.start();
			await().until(() -> slotHolders(settings.group()).size() == 1);
			List<Integer> holder = slotHolders(settings.group());
			// Another member holds the turn for 2 s of the 4 s this member waits for it
			Thread.sleep(2000);
			release.setLong(1, turn);
			release.execute();
			await().atMost(Duration.ofSeconds(3)).until(() -> !listener.seen.isEmpty());
			assertThat(slotHolders(settings.group())).isEqualTo(holder);
			assertThat(listener.lost).hasValue(0);
		}
		finally {
			coordinator.close();
		}
	}

	@Test
	void theServerEndsTheSessionOfAMemberPausedWhileItHoldsTheTurn() throws Exception {
		FleetSettings settings = new FleetSettings("coordinator-paused", Duration.ofMillis(200), true);
		CountDownLatch woken = new CountDownLatch(1);
		CountDownLatch pausing = new CountDownLatch(1);
		AtomicBoolean pause = new AtomicBoolean();
		RecordingListener paused = new RecordingListener() {

			@Override
			public MemberState membersSeen(int slot, List<FleetMember> members) {
				if (pause.get()) {
					// Inside the turn, as a stopped process or a frozen virtual machine would be
					pausing.countDown();
					try {
						woken.await(30, TimeUnit.SECONDS);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
				return super.membersSeen(slot, members);
			}

		};
		FleetCoordinator first = new FleetCoordinator(settings, dataSource(), paused);
		RecordingListener listener = new RecordingListener();
		FleetCoordinator second = new FleetCoordinator(settings, dataSource(), listener);
		try {
			first.start();
			await().until(() -> !paused.seen.isEmpty());
			List<Integer> pausedSession = slotHolders(settings.group());
			pause.set(true);
			assertThat(pausing.await(5, TimeUnit.SECONDS)).isTrue();
			second.start();
			// Without a bound the turn stays held for as long as the pause lasts: 30 s here
			await().atMost(Duration.ofSeconds(20)).until(() -> !listener.seen.isEmpty());
			assertThat(slotHolders(settings.group())).doesNotContainAnyElementsOf(pausedSession);
		}
		finally {
			woken.countDown();
			first.close();
			second.close();
		}
	}

	// The sessions that hold a slot of the group
	private static List<Integer> slotHolders(String group) throws SQLException {
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin.prepareStatement("SELECT pid FROM pg_locks WHERE locktype = "
						+ "'advisory' AND granted AND objsubid = 2 AND classid::bigint = ? ORDER BY pid")) {
			statement.setLong(1, PostgreSqlFleetMembership.groupKey(group));
			List<Integer> pids = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					pids.add(result.getInt(1));
				}
			}
			return pids;
		}
	}

	@Test
	void anErrorInAPeriodicTaskKeepsTheScheduleAlive() {
		AtomicInteger runs = new AtomicInteger();
		ScheduledExecutorService executor = BackgroundScheduler.create("test");
		try {
			executor.scheduleWithFixedDelay(BackgroundScheduler.guarded("a test task", () -> {
				if (runs.incrementAndGet() == 1) {
					throw new StackOverflowError("first run");
				}
			}), 0, 10, TimeUnit.MILLISECONDS);
			await().untilAsserted(() -> assertThat(runs.get()).isGreaterThanOrEqualTo(3));
		}
		finally {
			executor.shutdownNow();
		}
	}

	private static DataSource dataSource() {
		PGSimpleDataSource dataSource = new PGSimpleDataSource();
		dataSource.setUrl(database.jdbcUrl());
		dataSource.setUser(database.username());
		dataSource.setPassword(database.password());
		return dataSource;
	}

	private static int members() throws SQLException {
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin.prepareStatement(
						"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid::bigint = ?")) {
			statement.setLong(1, PostgreSqlFleetMembership.groupKey("coordinator-tests"));
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getInt(1);
			}
		}
	}

	// The session that holds the group's reader lock, or 0
	private static int readerPid(String group) throws SQLException {
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin.prepareStatement("SELECT coalesce(max(pid), 0) FROM pg_locks WHERE "
						+ "locktype = 'advisory' AND granted AND objsubid = 1 AND classid::bigint = ? AND objid::bigint = 4294967294")) {
			statement.setLong(1, PostgreSqlFleetMembership.groupKey(group));
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getInt(1);
			}
		}
	}

	static class RecordingListener implements FleetCoordinator.Listener {

		final List<List<FleetMember>> seen = new CopyOnWriteArrayList<>();

		final AtomicInteger lost = new AtomicInteger();

		@Override
		public MemberState membersSeen(int slot, List<FleetMember> members) {
			this.seen.add(members);
			return new MemberState(3, 2, 5);
		}

		@Override
		public void coordinationLost() {
			this.lost.incrementAndGet();
		}

		@Override
		public void limitsRead(ServerLimits limits) {
		}

	}

}

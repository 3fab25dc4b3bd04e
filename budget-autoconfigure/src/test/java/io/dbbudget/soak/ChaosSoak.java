package io.dbbudget.soak;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.dbbudget.scheduling.BackgroundScheduler;
import io.dbbudget.soak.FaultSchedule.Event;
import io.dbbudget.test.PrivateServer;
import org.jspecify.annotations.Nullable;

/**
 * The soak's fleet and its nemesis: a private PostgreSQL server ({@code max_connections}
 * 40), {@value #MEMBERS} coordinated members in JVMs of their own sharing a service budget of
 * {@value #SERVICE_CONNECTIONS} connections, and the faults of a {@link FaultSchedule}.
 * The application's sessions (and, of them, the coordination sessions) are counted every
 * 100 ms; everything else is recorded by the
 * members themselves, and {@link SoakVerdict} judges the whole history afterwards.
 */
final class ChaosSoak implements AutoCloseable {

	static final int MEMBERS = 4;

	static final int SERVICE_CONNECTIONS = 24;

	static final Duration HEARTBEAT = Duration.ofSeconds(3);

	static final String APP = "soak";

	private static final String OTHER = "soak_other";

	private static final int MAX_CONNECTIONS = 40;

	private static final Duration OUTAGE = Duration.ofSeconds(6);

	private static final Duration FILL = Duration.ofSeconds(5);

	private static final Duration PAUSE = Duration.ofSeconds(10);

	private static final Duration KILLED_FOR = Duration.ofSeconds(1);

	private static final Duration SETTLE = Duration.ofSeconds(8);

	private final PrivateServer server;

	private final Path dir;

	private final List<MemberProcess> members = new ArrayList<>();

	private final List<long[]> sessions = Collections.synchronizedList(new ArrayList<>());

	private final List<Strike> strikes = new ArrayList<>();

	private final ScheduledExecutorService sampler = BackgroundScheduler.create("soak-sampler");

	private @Nullable Connection samplerConnection;

	private ChaosSoak(PrivateServer server, Path dir) {
		this.server = server;
		this.dir = dir;
	}

	/**
	 * Starts the server and the fleet, and waits until every member serves.
	 * @param dir where the members and the soak write what they record
	 * @return the running soak
	 * @throws Exception if the fleet cannot start
	 */
	static ChaosSoak start(Path dir) throws Exception {
		// The members append to their records: start from none, and without an earlier stop
		if (Files.isDirectory(dir)) {
			try (var files = Files.list(dir)) {
				for (Path file : files.toList()) {
					Files.delete(file);
				}
			}
		}
		Files.createDirectories(dir);
		PrivateServer server = PrivateServer.builder()
			.maxConnections(MAX_CONNECTIONS)
			.superuserReservedConnections(3)
			.setting("fsync", "on")
			.start();
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE ROLE " + APP + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE ROLE " + OTHER + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE DATABASE " + APP + " OWNER " + APP);
		}
		try (Connection connection = DriverManager.getConnection(server.jdbcUrl(APP), APP, "secret");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE soak_write (id bigint PRIMARY KEY)");
		}
		ChaosSoak soak = new ChaosSoak(server, dir);
		for (int i = 0; i < MEMBERS; i++) {
			soak.members.add(MemberProcess.launch(dir, i, 0, server.jdbcUrl(APP)));
		}
		for (MemberProcess member : soak.members) {
			member.awaitServing(Duration.ofSeconds(120));
		}
		soak.sampler.scheduleAtFixedRate(BackgroundScheduler.guarded("sampling sessions", soak::sample), 0, 100,
				TimeUnit.MILLISECONDS);
		return soak;
	}

	/**
	 * Runs the schedule, lets the fleet settle, stops the members and reads the table.
	 * @param schedule the faults
	 * @return the history, to judge
	 * @throws Exception if the soak itself fails
	 */
	SoakVerdict run(FaultSchedule schedule) throws Exception {
		long started = System.currentTimeMillis();
		for (Event event : schedule.events()) {
			Thread.sleep(event.after().toMillis());
			this.strikes.add(strike(event));
		}
		Thread.sleep(SETTLE.toMillis());
		long ended = System.currentTimeMillis();
		Files.writeString(this.dir.resolve("stop"), "stop\n");
		List<Integer> exitCodes = new ArrayList<>();
		for (MemberProcess member : this.members) {
			exitCodes.add(member.awaitExit(Duration.ofSeconds(90)));
		}
		this.sampler.shutdownNow();
		return SoakVerdict.judge(this.dir, started, ended, List.copyOf(this.strikes), List.copyOf(this.sessions),
				exitCodes, storedIds(), SERVICE_CONNECTIONS, HEARTBEAT);
	}

	private Strike strike(Event event) throws Exception {
		long start = System.currentTimeMillis();
		MemberProcess member = this.members.get(event.member());
		// When the fault has landed: the server is down, the signals are sent, the slots taken
		long landed = start;
		switch (event.fault()) {
			case FAST_RESTART -> {
				this.server.stop();
				landed = System.currentTimeMillis();
				this.server.start();
			}
			case OUTAGE -> {
				this.server.stop();
				landed = System.currentTimeMillis();
				Thread.sleep(OUTAGE.toMillis());
				this.server.start();
			}
			case MASS_TERMINATION -> {
				terminate("usename = '" + APP + "'");
				landed = System.currentTimeMillis();
			}
			case COORDINATION_TERMINATION -> {
				terminate("application_name LIKE 'db-budget fleet%'");
				landed = System.currentTimeMillis();
			}
			case KILL_MEMBER -> {
				member.kill();
				landed = System.currentTimeMillis();
				Thread.sleep(KILLED_FOR.toMillis());
				MemberProcess restarted = MemberProcess.launch(this.dir, event.member(), member.incarnation() + 1,
						this.server.jdbcUrl(APP));
				this.members.set(event.member(), restarted);
				// Over when the new JVM serves: its start-up is not a recovery
				restarted.awaitServing(Duration.ofSeconds(120));
			}
			case FILL_SERVER -> landed = fill();
			case PAUSE_MEMBER -> {
				member.signal("STOP");
				landed = System.currentTimeMillis();
				Thread.sleep(PAUSE.toMillis());
				member.signal("CONT");
			}
		}
		Strike strike = new Strike(event.fault(), event.member(), start, landed, System.currentTimeMillis());
		System.out.println("soak: " + strike);
		return strike;
	}

	private void terminate(String which) throws SQLException {
		try (Connection connection = this.server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE " + which
					+ " AND pid <> pg_backend_pid()");
		}
	}

	private long fill() throws Exception {
		List<Connection> taken = new ArrayList<>();
		try {
			while (true) {
				taken.add(DriverManager.getConnection(this.server.jdbcUrl(APP), OTHER, "secret"));
			}
		}
		catch (SQLException ex) {
			if (!"53300".equals(ex.getSQLState())) {
				throw ex;
			}
		}
		long landed = System.currentTimeMillis();
		try {
			Thread.sleep(FILL.toMillis());
			return landed;
		}
		finally {
			for (Connection connection : taken) {
				connection.close();
			}
		}
	}

	private void sample() {
		long now = System.currentTimeMillis();
		try {
			if (this.samplerConnection == null) {
				this.samplerConnection = this.server.openConnection("postgres");
			}
			try (Statement statement = this.samplerConnection.createStatement();
					ResultSet result = statement.executeQuery("SELECT count(*), count(*) FILTER (WHERE "
							+ "application_name LIKE 'db-budget fleet%'), count(*) FILTER (WHERE backend_start > "
							+ "now() - interval '1 second') FROM pg_stat_activity WHERE usename = '" + APP + "' "
							// A parallel query's workers show the role of the session they work for, but
							// are no connections: max_worker_processes bounds them, not max_connections
							+ "AND backend_type = 'client backend'")) {
				result.next();
				// Sessions younger than a second tell connections replaced from those held
				this.sessions.add(new long[] { now, result.getLong(1), result.getLong(2), result.getLong(3) });
			}
		}
		catch (SQLException ex) {
			// The server is down: nothing to count
			closeSamplerConnection();
		}
	}

	private void closeSamplerConnection() {
		try {
			if (this.samplerConnection != null) {
				this.samplerConnection.close();
			}
		}
		catch (SQLException ex) {
			// already broken
		}
		this.samplerConnection = null;
	}

	private List<Long> storedIds() throws SQLException {
		List<Long> ids = new ArrayList<>();
		try (Connection connection = this.server.openConnection(APP);
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SELECT id FROM soak_write")) {
			while (rows.next()) {
				ids.add(rows.getLong(1));
			}
		}
		return ids;
	}

	@Override
	public void close() {
		this.sampler.shutdownNow();
		for (MemberProcess member : this.members) {
			member.kill();
		}
		closeSamplerConnection();
		this.server.close();
	}

	/**
	 * A fault as it happened.
	 *
	 * @param fault the fault
	 * @param member the member it struck, for faults that strike one
	 * @param start when it struck, epoch ms
	 * @param landed when it had landed (the server down, the signals sent, the slots taken),
	 * epoch ms
	 * @param end when it was over, epoch ms
	 */
	record Strike(Fault fault, int member, long start, long landed, long end) {

	}

}

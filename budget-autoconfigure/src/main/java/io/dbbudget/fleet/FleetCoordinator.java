package io.dbbudget.fleet;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import io.dbbudget.budget.ServerLimits;
import io.dbbudget.scheduling.BackgroundScheduler;
import io.dbbudget.server.ServerDialect;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Counts the instances of a fleet through their server: this instance holds a slot of its
 * group on one connection of its own, and at every heartbeat takes its turn to learn the
 * members and what they published, and to publish its own demand and allocation. On
 * PostgreSQL one member of the group reads the members for all and sends them to the others
 * (see {@link FleetView}); on MySQL and MariaDB every member counts the named locks itself, and
 * publishes nothing (see {@link ServerDialect}).
 * <p>
 * Only the heartbeat thread touches the connection. What the endpoint and the metrics read is
 * an immutable snapshot, so they answer at once even while a heartbeat waits on a server that
 * does not answer.
 *
 * @author db-budget team
 */
public class FleetCoordinator implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(FleetCoordinator.class);

	private static final int HISTORY_SIZE = 10;

	private static final long CLOSE_WAIT_MILLIS = 1000;

	// What a statement of a turn may take on top of the wait for the turn itself
	private static final Duration TURN_READ_MARGIN = Duration.ofSeconds(10);

	// The shortest idle time after which the server ends a coordination session: a long pause
	// of a healthy member costs it a rejoin, so not much shorter than a long garbage collection
	private static final Duration SHORTEST_IDLE_BOUND = Duration.ofSeconds(10);

	private final FleetSettings settings;

	private final int groupKey;

	private final DataSource connectionSource;

	private final Listener listener;

	private final ScheduledExecutorService executor;

	// Written by the heartbeat thread only, read by anyone
	private volatile FleetState state;

	private volatile boolean closed;

	// Confined to the heartbeat thread, except for close() once the thread has stopped
	private @Nullable Connection connection;

	// What this instance knows of its group, for as long as its connection lives
	private @Nullable FleetView view;

	// How the connection's server counts a fleet, known once connected
	private @Nullable ServerDialect dialect;

	private OptionalInt slot = OptionalInt.empty();

	private boolean joinedBefore;

	private boolean lost;

	public FleetCoordinator(FleetSettings settings, DataSource connectionSource, Listener listener) {
		this.settings = settings;
		this.groupKey = PostgreSqlFleetMembership.groupKey(settings.group());
		this.connectionSource = connectionSource;
		this.listener = listener;
		this.executor = BackgroundScheduler.create("db-budget-fleet");
		this.state = new FleetState(settings.group(), null, List.of(), null, false, List.of());
	}

	public void start() {
		this.executor.scheduleWithFixedDelay(BackgroundScheduler.guarded("fleet coordination", this::heartbeat), 0,
				this.settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
	}

	void heartbeat() {
		if (this.closed) {
			return;
		}
		try {
			Connection connection = connection();
			if (connection != null) {
				takeTurn(connection);
			}
		}
		catch (SQLException | RuntimeException ex) {
			closeConnection();
			if (this.lost || !this.joinedBefore || !rejoinedAtOnce(ex)) {
				lose(ex);
			}
		}
	}

	private void takeTurn(Connection connection) throws SQLException {
		int slot = this.slot.orElse(-1);
		FleetView view = this.view;
		boolean reader = view.reader();
		List<FleetMember> members = this.dialect.takeFleetTurn(connection, this.groupKey, view,
				(seen) -> this.listener.membersSeen(slot, seen));
		if (view.reader() && !reader) {
			logger.info("db-budget: this instance reads fleet '" + this.settings.group() + "' for all its members");
		}
		if (members == null) {
			// Another member held the turn too long: keep what was published, try next time
			return;
		}
		this.lost = false;
		publishState(members, true);
	}

	// A coordination session can end while the server still answers: it was terminated, or
	// the server restarted fast. Holding the pools at min-pool-size then would close their
	// connections only to open them again a turn later, and on a busy server the new sessions
	// are up before the closed ones have ended. The others count this member's last published
	// state for two of its heartbeats (or of theirs, if longer) from their first turn that missed
	// it, and this member noticed within one: a new session within half a heartbeat keeps the
	// pools as they are
	private boolean rejoinedAtOnce(Exception ended) {
		long start = System.nanoTime();
		try {
			Connection connection = connection();
			if (connection == null) {
				return true;
			}
			if (System.nanoTime() - start > this.settings.heartbeat().toNanos() / 2) {
				// Back, but too late to keep the pools: the new session stays, and the pools
				// hold min-pool-size until it takes its turn at the next heartbeat
				return false;
			}
			logger.info("db-budget: the fleet coordination session ended (" + ended.getMessage()
					+ "); joined again at once, pools kept as they are");
			takeTurn(connection);
			return true;
		}
		catch (SQLException | RuntimeException ex) {
			closeConnection();
			return false;
		}
	}

	private void lose(Exception ex) {
		publishState(null, false);
		if (!this.lost) {
			String what = this.joinedBefore ? "lost fleet coordination" : "could not join the fleet";
			logger.warn("db-budget: " + what + " (" + ex.getMessage() + "); holding pools at min-pool-size until the "
					+ "fleet counts this instance, and trying again at the next heartbeat");
			this.lost = true;
			this.listener.coordinationLost();
		}
	}

	private @Nullable Connection connection() throws SQLException {
		if (this.connection != null && !this.connection.isClosed()) {
			return this.connection;
		}
		Connection connection = this.connectionSource.getConnection();
		try {
			ServerDialect dialect = ServerDialect.of(connection);
			if (dialect == null) {
				throw new SQLException("fleet coordination counts the fleet on PostgreSQL, MySQL or MariaDB, and the "
						+ "server is none of them");
			}
			this.dialect = dialect;
			if (this.joinedBefore) {
				// The server may have come back with other limits: read them before counting
				this.listener.limitsRead(dialect.readLimits(connection));
			}
			this.slot = dialect.joinFleet(connection, this.groupKey);
			bound(connection, dialect);
		}
		catch (SQLException | RuntimeException ex) {
			connection.close();
			throw ex;
		}
		if (this.closed) {
			// close() ran while this thread was connecting: leave no phantom member behind
			connection.close();
			return null;
		}
		this.connection = connection;
		this.view = new FleetView(this.slot.orElse(-1), this.settings.heartbeat());
		this.joinedBefore = true;
		logger.info("db-budget: joined fleet '" + this.settings.group() + "' as slot " + slotText());
		return connection;
	}

	// The turn is waited for on this connection: a read timeout shorter than that wait would end
	// the session whenever another member holds the turn long. And a member paused while it
	// holds the turn (a stopped process, a frozen virtual machine) would hold up every member's
	// turns until its TCP session dies, which can take hours: the server ends the session once it
	// has been idle for three heartbeats, and the member joins again when it wakes
	private void bound(Connection connection, ServerDialect dialect) throws SQLException {
		Duration heartbeat = this.settings.heartbeat();
		connection.setNetworkTimeout(Runnable::run, (int) heartbeat.dividedBy(2).plus(TURN_READ_MARGIN).toMillis());
		Duration idle = heartbeat.multipliedBy(3);
		dialect.endIdleSessionAfter(connection, (idle.compareTo(SHORTEST_IDLE_BOUND) > 0) ? idle : SHORTEST_IDLE_BOUND);
	}

	private void publishState(@Nullable List<FleetMember> seen, boolean connected) {
		FleetState previous = this.state;
		Integer slot = this.slot.isPresent() ? this.slot.getAsInt() : null;
		List<Member> members = (seen != null) ? seen.stream().map((member) -> Member.of(member, slot)).toList()
				: previous.members();
		this.state = new FleetState(this.settings.group(), slot, members,
				connected ? Instant.now() : previous.lastHeartbeat(), connected, previous.history());
	}

	public void recordChange(int members, int perInstance, int allocation) {
		FleetState previous = this.state;
		Deque<ShareChange> history = new ArrayDeque<>(previous.history());
		if (history.size() == HISTORY_SIZE) {
			history.removeFirst();
		}
		history.addLast(new ShareChange(Instant.now(), members, perInstance, allocation));
		this.state = new FleetState(previous.group(), previous.slot(), previous.members(), previous.lastHeartbeat(),
				previous.connected(), List.copyOf(history));
	}

	/**
	 * What this instance knows of its fleet now. Never waits on the server.
	 * @return the state
	 */
	public FleetState state() {
		return this.state;
	}

	private String slotText() {
		return this.slot.isPresent() ? String.valueOf(this.slot.getAsInt()) : "none (every slot taken)";
	}

	private void closeConnection() {
		Connection connection = this.connection;
		this.connection = null;
		this.view = null;
		if (connection != null) {
			try {
				connection.close();
			}
			catch (SQLException ex) {
				// The session is gone already, which is why it is being closed
			}
		}
	}

	@Override
	public void close() {
		this.closed = true;
		this.executor.shutdownNow();
		try {
			// A heartbeat in flight finishes its statement or its connect timeout; past this
			// wait the connection is closed under it, which ends its statement
			this.executor.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		closeConnection();
	}

	/**
	 * Told what the fleet looks like at every heartbeat.
	 */
	public interface Listener {

		/**
		 * Decides this member's share from the members seen, while it holds the group's turn.
		 * @param slot this member's slot, or {@code -1} if it has none
		 * @param members the members and what they published
		 * @return what this member publishes
		 */
		MemberState membersSeen(int slot, List<FleetMember> members);

		/**
		 * The coordination session is gone: the others stop counting this instance at their
		 * next heartbeat and may grow into its share.
		 */
		void coordinationLost();

		/**
		 * The server answered again after coordination was lost, with these limits.
		 * @param limits the limits read
		 */
		void limitsRead(ServerLimits limits);

	}

	/**
	 * What an instance knows of its fleet.
	 *
	 * @param group the group's name
	 * @param slot this instance's slot, or {@code null} while it has none
	 * @param members the members seen at the last heartbeat, with what each published
	 * @param lastHeartbeat when the members were last read
	 * @param connected whether the coordination connection is up
	 * @param history the last changes of this instance's share
	 */
	public record FleetState(String group, @Nullable Integer slot, List<Member> members,
			@Nullable Instant lastHeartbeat, boolean connected, List<ShareChange> history) {

	}

	/**
	 * A member as this instance saw it at its last heartbeat.
	 *
	 * @param slot its slot
	 * @param self whether it is this instance
	 * @param demand the connections it would have used since its last heartbeat, or
	 * {@code null} if it has published nothing
	 * @param held the connections it held
	 * @param allocation the connections its pools may hold
	 */
	public record Member(int slot, boolean self, @Nullable Integer demand, @Nullable Integer held,
			@Nullable Integer allocation) {

		static Member of(FleetMember member, @Nullable Integer ownSlot) {
			MemberState state = member.state();
			boolean self = ownSlot != null && ownSlot == member.slot();
			return (state != null) ? new Member(member.slot(), self, state.demand(), state.held(), state.allocation())
					: new Member(member.slot(), self, null, null, null);
		}

	}

	/**
	 * A change of this instance's share.
	 *
	 * @param at when
	 * @param members how many members there were
	 * @param perInstance the connections of this instance from then on, its coordination
	 * connection included
	 * @param allocation the connections its pools may hold from then on
	 */
	public record ShareChange(Instant at, int members, int perInstance, int allocation) {

	}

}

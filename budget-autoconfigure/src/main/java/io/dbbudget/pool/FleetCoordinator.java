package io.dbbudget.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.dbbudget.server.BackgroundScheduler;
import io.dbbudget.server.FleetMembership;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Counts the instances of a fleet through PostgreSQL: this instance holds a slot of its group
 * on one connection of its own, and every heartbeat reads the group's held slots. When the
 * count changes the listener resizes the pools; a member that has just joined may not grow
 * until the others have had a heartbeat to see it.
 *
 * @author db-budget team
 */
public class FleetCoordinator implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(FleetCoordinator.class);

	private static final int HISTORY_SIZE = 10;

	private final FleetSettings settings;

	private final int groupKey;

	private final DataSource connectionSource;

	private final Listener listener;

	private final Clock clock;

	private final ScheduledExecutorService executor;

	private final Deque<ShareChange> history = new ArrayDeque<>();

	private @Nullable Connection connection;

	private OptionalInt slot = OptionalInt.empty();

	private List<Integer> members = List.of();

	private @Nullable Instant joinedAt;

	private @Nullable Instant lastHeartbeat;

	private boolean lost;

	FleetCoordinator(FleetSettings settings, DataSource connectionSource, Listener listener, Clock clock) {
		this.settings = settings;
		this.groupKey = FleetMembership.groupKey(settings.group());
		this.connectionSource = connectionSource;
		this.listener = listener;
		this.clock = clock;
		this.executor = BackgroundScheduler.create("db-budget-fleet");
	}

	void start() {
		this.executor.scheduleWithFixedDelay(this::heartbeat, 0, this.settings.heartbeat().toMillis(),
				TimeUnit.MILLISECONDS);
	}

	synchronized void heartbeat() {
		try {
			Connection connection = connection();
			List<Integer> previous = this.members;
			this.members = FleetMembership.members(connection, this.groupKey);
			this.lastHeartbeat = this.clock.instant();
			// A member that vanished may only have lost its coordination session: it holds its
			// pools at min-pool-size from its next heartbeat on, so grow one heartbeat later
			boolean shrunk = this.members.size() < previous.size();
			this.lost = false;
			this.listener.membersSeen(this.members.size(), hasBeenSeen() && !shrunk);
		}
		catch (SQLException | RuntimeException ex) {
			closeConnection();
			if (!this.lost) {
				String what = (this.joinedAt != null) ? "lost fleet coordination" : "could not join the fleet";
				logger.warn("db-budget: " + what + " (" + ex.getMessage() + "); holding pools at min-pool-size until the "
						+ "fleet counts this instance, and trying again at the next heartbeat");
				this.lost = true;
				this.listener.coordinationLost();
			}
		}
	}

	private Connection connection() throws SQLException {
		if (this.connection != null && !this.connection.isClosed()) {
			return this.connection;
		}
		Connection connection = this.connectionSource.getConnection();
		try {
			this.slot = FleetMembership.join(connection, this.groupKey);
		}
		catch (SQLException ex) {
			connection.close();
			throw ex;
		}
		this.connection = connection;
		this.joinedAt = this.clock.instant();
		logger.info("db-budget: joined fleet '" + this.settings.group() + "' as slot " + slotText());
		return connection;
	}

	private boolean hasBeenSeen() {
		// Every other member has had a heartbeat since this one joined
		return this.joinedAt != null
				&& !this.clock.instant().isBefore(this.joinedAt.plus(this.settings.heartbeat()));
	}

	synchronized void recordChange(int members, int perInstance) {
		if (this.history.size() == HISTORY_SIZE) {
			this.history.removeFirst();
		}
		this.history.addLast(new ShareChange(this.clock.instant(), members, perInstance));
	}

	/**
	 * What this instance knows of its fleet now.
	 * @return the state
	 */
	public synchronized FleetState state() {
		return new FleetState(this.settings.group(), this.slot.isPresent() ? this.slot.getAsInt() : null,
				this.members, this.lastHeartbeat, !this.lost && this.connection != null, List.copyOf(this.history));
	}

	private String slotText() {
		return this.slot.isPresent() ? String.valueOf(this.slot.getAsInt()) : "none (every slot taken)";
	}

	private void closeConnection() {
		Connection connection = this.connection;
		this.connection = null;
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
		this.executor.shutdownNow();
		synchronized (this) {
			closeConnection();
		}
	}

	/**
	 * Told the size of the fleet at every heartbeat.
	 */
	interface Listener {

		void membersSeen(int members, boolean mayGrow);

		/**
		 * The coordination session is gone: the others stop counting this instance at their
		 * next heartbeat and may grow into its share.
		 */
		void coordinationLost();

	}

	/**
	 * What an instance knows of its fleet.
	 *
	 * @param group the group's name
	 * @param slot this instance's slot, or {@code null} while it has none
	 * @param members the slots held in the group at the last heartbeat
	 * @param lastHeartbeat when the members were last read
	 * @param connected whether the coordination connection is up
	 * @param history the last changes of this instance's share
	 */
	public record FleetState(String group, @Nullable Integer slot, List<Integer> members,
			@Nullable Instant lastHeartbeat, boolean connected, List<ShareChange> history) {

	}

	/**
	 * A change of this instance's share.
	 *
	 * @param at when
	 * @param members how many members there were
	 * @param perInstance the connections per instance from then on
	 */
	public record ShareChange(Instant at, int members, int perInstance) {

	}

}

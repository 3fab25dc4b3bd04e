package io.dbbudget.fleet;

import java.util.List;

import io.dbbudget.budget.Budget;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.ServerLimits;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * This member's turns in its fleet on one server: from the members seen and what they
 * published, the budget its pools get. A member holds its pools at {@code min-pool-size}
 * until its first turn, again whenever coordination is lost, and while the fleet counts more
 * members than the server can give {@code min-pool-size} each.
 *
 * @author db-budget team
 */
public final class FleetTurns {

	private static final Log logger = LogFactory.getLog(FleetTurns.class);

	private final FleetSettings fleetSettings;

	// Whether the members see what the others publish; where they do not (MySQL, MariaDB), a
	// member cannot see the others shrink and relies on their turns instead
	private final boolean membersPublish;

	// The fleet's size at this member's last turn, and how many of its turns have seen it
	private int sizeSeen;

	private int turnsAtSize;

	private final VanishedMembers vanished;

	private boolean joining = true;

	private boolean outgrown;

	// Limits read again when coordination reconnected, not yet in the budget
	private @Nullable ServerLimits limitsReadAgain;

	// The fleet's size and this member's allocation, as last logged
	private int loggedMembers;

	private int loggedAllocation;

	public FleetTurns(FleetSettings fleetSettings, boolean membersPublish) {
		this.fleetSettings = fleetSettings;
		this.membersPublish = membersPublish;
		this.vanished = new VanishedMembers(fleetSettings.heartbeat());
	}

	/**
	 * Whether the pools are held at {@code min-pool-size}.
	 * @return whether this member has not taken its first turn, has lost coordination, or
	 * its fleet has outgrown the server
	 */
	public boolean holdsAtMinimum() {
		return this.joining || this.outgrown;
	}

	/**
	 * Whether this member has not taken a turn since it joined or lost coordination.
	 * @return whether it is joining
	 */
	public boolean isJoining() {
		return this.joining;
	}

	/**
	 * Records that coordination was lost: the pools hold {@code min-pool-size} until the next
	 * turn.
	 */
	public void lost() {
		this.joining = true;
	}

	/**
	 * Records limits read again after a reconnect; the next turn budgets with them.
	 * @param limits the limits read
	 * @param budget the current budget
	 */
	public void limitsRead(ServerLimits limits, Budget budget) {
		if (limits.equals(budget.server())) {
			return;
		}
		// The next turn budgets with them, or holds min-pool-size if they cannot meet the budget
		this.limitsReadAgain = limits;
		logger.info("db-budget: the server came back with other limits (max_connections " + limits.maxConnections()
				+ ", " + limits.usableConnections() + " usable); the fleet's shares follow from the next heartbeat");
	}

	/**
	 * Takes a turn.
	 * @param settings the server's settings
	 * @param budget the current budget
	 * @param poolNames the pools that share the server
	 * @param slot this member's slot
	 * @param members the members seen, with what they published
	 * @param demand this member's demand now
	 * @param allocation what this member's pools may hold now
	 * @return the budget from this turn on, or {@code null} if the fleet has outgrown the
	 * server and the pools hold {@code min-pool-size}
	 */
	public @Nullable Turn take(BudgetSettings settings, Budget budget, List<String> poolNames, int slot,
			List<FleetMember> members, int demand, int allocation) {
		Budget counted;
		try {
			ServerLimits server = (this.limitsReadAgain != null) ? this.limitsReadAgain : budget.server();
			counted = Budget.calculate(settings.withInstances(members.size()), server, poolNames);
			this.limitsReadAgain = null;
		}
		catch (InvalidBudgetException ex) {
			if (!this.outgrown) {
				logger.error("db-budget: the fleet counts " + members.size() + " members and the budget cannot be met, "
						+ "so pools are held at db.budget.min-pool-size until it can: " + ex.getReason() + ". "
						+ ex.getAction());
				this.outgrown = true;
			}
			return null;
		}
		if (this.outgrown) {
			logger.info("db-budget: the fleet counts " + members.size() + " members and fits its budget again");
			this.outgrown = false;
		}
		int floor = settings.minPoolSize() * poolNames.size();
		int current = this.joining ? floor : allocation;
		int unpublishedHold = unpublishedHold(counted.fleetPoolCapacity(), members.size());
		FleetShares share = FleetShares.of(counted.fleetPoolCapacity(), floor, this.fleetSettings.demandAware(), slot,
				members, demand, current,
				this.vanished.stillHeld(members, floor, settings.coordinationConnections(), unpublishedHold),
				unpublishedHold);
		boolean joined = this.joining;
		this.joining = false;
		return new Turn(counted.withAllocation(settings, share.allocation()), share, joined);
	}

	// What a member that has published nothing may hold. Where members publish, that is a
	// joiner, which holds min-pool-size until its first turn: an equal share is plenty. Where
	// they cannot, the others still hold the share of the smaller fleet until each has taken
	// its turn at the new size, which two of this member's turns cover
	private int unpublishedHold(int capacity, int size) {
		this.turnsAtSize = (size > this.sizeSeen) ? 0 : this.turnsAtSize + 1;
		this.sizeSeen = size;
		if (this.membersPublish || size < 2 || this.turnsAtSize >= 2) {
			return capacity / size;
		}
		return capacity / (size - 1);
	}

	/**
	 * Whether a turn changed what is worth a line in the log and the fleet's history.
	 * @param turn the turn
	 * @param members the members seen
	 * @param allocation what this member's pools may hold after it
	 * @return whether the member joined, the fleet's size changed or the allocation did
	 */
	public boolean changed(Turn turn, int members, int allocation) {
		if (!turn.joined() && allocation == this.loggedAllocation && members == this.loggedMembers) {
			return false;
		}
		this.loggedAllocation = allocation;
		this.loggedMembers = members;
		return true;
	}

	/**
	 * A turn taken.
	 *
	 * @param budget the budget from this turn on
	 * @param share this member's share of the fleet
	 * @param joined whether it was the member's first turn since it joined or lost
	 * coordination
	 */
	public record Turn(Budget budget, FleetShares share, boolean joined) {

	}

}

package io.dbbudget.fleet;

import java.util.List;

import io.dbbudget.budget.FairShare;

/**
 * This member's share of its fleet's pool capacity, from what every member published. The fair
 * share is the same for every member that reads the same states; applying it is not: a member
 * shrinks to it as soon as another member waits for more or the fleet would exceed its
 * capacity, but grows only into connections the others have visibly given up, so that the
 * fleet's connections never add up past the capacity while shares move.
 *
 * @param fair the share this member should have
 * @param allocation what its pools may hold now
 * @author db-budget team
 */
public record FleetShares(int fair, int allocation) {

	private static final int WAVER = 2;

	/**
	 * Computes this member's share.
	 * @param capacity the connections the fleet's pools may hold in all
	 * @param floor the connections each member's pools hold at least
	 * @param demandAware whether shares follow demand, or are equal
	 * @param slot this member's slot
	 * @param members the members seen, this one included, with what they published
	 * @param demand this member's own demand now
	 * @param current what this member's pools may hold now
	 * @param vanishedHold what members that have just vanished may still hold
	 * @param unpublishedHold what a member that has published nothing may hold
	 * @return the share
	 */
	static FleetShares of(int capacity, int floor, boolean demandAware, int slot, List<FleetMember> members,
			int demand, int current, int vanishedHold, int unpublishedHold) {
		int equalShare = capacity / members.size();
		int fair = demandAware ? FairShare.allocate(capacity, floor, members.stream()
			.map((member) -> new FairShare.Want(member.slot(), (member.slot() == slot) ? Integer.valueOf(demand)
					: (member.state() != null) ? member.state().demand() : null))
			.toList()).getOrDefault(slot, floor) : equalShare;
		int othersHold = vanishedHold;
		boolean othersWantMore = false;
		for (FleetMember member : members) {
			if (member.slot() != slot) {
				MemberState state = member.state();
				othersHold += (state != null) ? Math.max(state.allocation(), state.held()) : unpublishedHold;
				othersWantMore |= state != null && state.demand() > state.allocation();
			}
		}
		if (fair <= current) {
			// A load that wavers would move the fair share by a connection or two at every turn,
			// and each move closes a connection here that opens again at the next: a member keeps
			// up to WAVER connections above its fair share while no other member waits for more
			// and the fleet stays within its capacity
			boolean keep = demandAware && fair < current && current - fair <= WAVER && !othersWantMore
					&& current <= capacity - othersHold;
			return new FleetShares(fair, keep ? current : fair);
		}
		int growable = Math.max(current, Math.min(fair, capacity - othersHold));
		return new FleetShares(fair, growable);
	}

}

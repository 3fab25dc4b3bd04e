package io.dbbudget.gate;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The admission gate's permits: a counting semaphore whose size can change while callers hold
 * and wait for permits, and that lets an arriving caller take a free permit ahead of queued
 * callers a bounded number of times in a row.
 * <p>
 * Taking a free permit at once, rather than handing it to the longest waiter, saves the
 * thread switch that a hand-off costs: on a busy machine that switch is the price of every
 * connection, and the caller that just returned a connection is usually the one that asks
 * again. Unbounded, it starves the queue; a fair semaphore pays a switch on every permit.
 * After {@value #BARGES_PER_HANDOFF} admissions ahead of the queue, the next free permit goes
 * to the longest waiter.
 * <p>
 * The state is the number of free permits. It goes below zero when the size is lowered
 * while permits are held, and the permits returned then pay the difference off.
 * <p>
 * Callers let into the pool beyond the permits, while nobody queues, are counted apart.
 *
 * @author db-budget team
 */
final class Permits extends AbstractQueuedSynchronizer {

	static final int BARGES_PER_HANDOFF = 16;

	// Admissions ahead of queued callers since a queued caller was last admitted. Updated
	// without atomicity: the bound is a tendency, not a guarantee
	private volatile int barges;

	// Callers in the pool beyond the permits
	private final AtomicInteger beyond = new AtomicInteger();

	Permits(int permits) {
		setState(permits);
	}

	/**
	 * Takes a free permit if the queue allows it, without waiting.
	 * @return whether a permit was taken
	 */
	boolean tryTake() {
		return tryAcquireShared(1) >= 0;
	}

	/**
	 * Lets a caller into the pool beyond the permits, while nobody queues for one, no shrink
	 * is being paid off, and fewer callers than there are permits are in beyond them.
	 * @param permits the number of permits
	 * @return whether the caller may go in
	 */
	boolean tryBeyond(int permits) {
		if (getState() < 0 || hasQueuedThreads()) {
			return false;
		}
		for (;;) {
			int inside = this.beyond.get();
			if (inside >= permits) {
				return false;
			}
			if (this.beyond.compareAndSet(inside, inside + 1)) {
				return true;
			}
		}
	}

	/**
	 * Callers in the pool beyond the permits now.
	 * @return the count
	 */
	int beyond() {
		return this.beyond.get();
	}

	/**
	 * Ends a caller's stay beyond the permits.
	 */
	void leaveBeyond() {
		this.beyond.decrementAndGet();
	}

	/**
	 * Returns one permit and wakes the longest waiter.
	 */
	void give() {
		releaseShared(1);
	}

	/**
	 * Adds or removes permits, whether they are held or not.
	 * @param delta the change of size
	 */
	void resize(int delta) {
		if (delta > 0) {
			releaseShared(delta);
		}
		else if (delta < 0) {
			add(delta);
		}
	}

	/**
	 * Takes a permit whether or not one is free, for a connection that the pool handed out
	 * without one.
	 */
	void owe() {
		add(-1);
	}

	int available() {
		return getState();
	}

	@Override
	protected int tryAcquireShared(int ignored) {
		boolean ahead = hasQueuedPredecessors();
		if (ahead && this.barges >= BARGES_PER_HANDOFF) {
			return -1;
		}
		for (;;) {
			int available = getState();
			if (available <= 0) {
				return -1;
			}
			if (compareAndSetState(available, available - 1)) {
				if (ahead) {
					this.barges++;
				}
				else if (this.barges != 0) {
					// Written only when it changes: a volatile write on every admission would
					// cost a fence on the uncontended path
					this.barges = 0;
				}
				return available - 1;
			}
		}
	}

	@Override
	protected boolean tryReleaseShared(int permits) {
		add(permits);
		return true;
	}

	private void add(int permits) {
		for (;;) {
			int available = getState();
			if (compareAndSetState(available, available + permits)) {
				return;
			}
		}
	}

}

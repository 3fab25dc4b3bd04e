package io.dbbudget.benchmarks.fleet;

import java.time.Duration;
import java.util.List;

/**
 * How many client threads run at each moment of the window, and which pool size the oracle
 * holds then: either one phase (the {@code threads} for the whole window) or the
 * {@code fleet.phases} one after the other.
 *
 * @author db-budget team
 */
final class Schedule {

	private final long[] endNanos;

	private final int[] threads;

	private final Integer[] poolSizes;

	private Schedule(long[] endNanos, int[] threads, Integer[] poolSizes) {
		this.endNanos = endNanos;
		this.threads = threads;
		this.poolSizes = poolSizes;
	}

	/**
	 * The schedule of the given phases, or one phase of {@code threads} for {@code window}
	 * when there are none.
	 */
	static Schedule of(List<WorkloadProperties.Phase> phases, int threads, Duration window) {
		if (phases.isEmpty()) {
			return new Schedule(new long[] { window.toNanos() }, new int[] { threads }, new Integer[] { null });
		}
		long[] ends = new long[phases.size()];
		int[] counts = new int[phases.size()];
		Integer[] pools = new Integer[phases.size()];
		long end = 0;
		for (int i = 0; i < phases.size(); i++) {
			WorkloadProperties.Phase phase = phases.get(i);
			if (phase.getDuration() == null || phase.getDuration().isNegative() || phase.getDuration().isZero()) {
				throw new IllegalArgumentException("fleet.phases[" + i + "].duration must be positive");
			}
			if (phase.getThreads() < 0) {
				throw new IllegalArgumentException("fleet.phases[" + i + "].threads must be 0 or more");
			}
			end += phase.getDuration().toNanos();
			ends[i] = end;
			counts[i] = phase.getThreads();
			pools[i] = phase.getPoolSize();
		}
		return new Schedule(ends, counts, pools);
	}

	Duration total() {
		return Duration.ofNanos(this.endNanos[this.endNanos.length - 1]);
	}

	int maxThreads() {
		int max = 0;
		for (int count : this.threads) {
			max = Math.max(max, count);
		}
		return max;
	}

	int phases() {
		return this.threads.length;
	}

	/** The phase that runs at {@code elapsedNanos} into the window (the last one after it ends). */
	int phaseAt(long elapsedNanos) {
		for (int i = 0; i < this.endNanos.length; i++) {
			if (elapsedNanos < this.endNanos[i]) {
				return i;
			}
		}
		return this.endNanos.length - 1;
	}

	int threadsAt(long elapsedNanos) {
		return this.threads[phaseAt(Math.max(0, elapsedNanos))];
	}

	/** Nanoseconds into the window at which the given phase starts. */
	long startOf(int phase) {
		return (phase == 0) ? 0 : this.endNanos[phase - 1];
	}

	/** Nanoseconds into the window at which the phase running at {@code elapsedNanos} ends. */
	long endOfPhaseAt(long elapsedNanos) {
		return this.endNanos[phaseAt(Math.max(0, elapsedNanos))];
	}

	/** The pool size the oracle holds in the given phase, or {@code null} to leave the pool alone. */
	Integer poolSize(int phase) {
		return this.poolSizes[phase];
	}

}

package io.dbbudget.scheduling;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The single background thread each of db-budget's periodic tasks runs on: a daemon, so that
 * it never keeps the JVM alive, named so that thread dumps say what it is.
 *
 * @author db-budget team
 */
public final class BackgroundScheduler {

	private static final Log logger = LogFactory.getLog(BackgroundScheduler.class);

	private BackgroundScheduler() {
	}

	/**
	 * A periodic task that survives its own failures: a scheduled task that throws is never
	 * run again, and a pool whose resizing stops silently stays at its last size.
	 * @param what what the task does, for the log
	 * @param task the task
	 * @return the guarded task
	 */
	public static Runnable guarded(String what, Runnable task) {
		return () -> {
			try {
				task.run();
			}
			catch (Throwable ex) {
				logger.error("db-budget: " + what + " failed, and runs again at its next turn", ex);
			}
		};
	}

	/**
	 * A scheduler with one daemon thread.
	 * @param threadName the thread's name
	 * @return the scheduler; the caller shuts it down
	 */
	public static ScheduledExecutorService create(String threadName) {
		return Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, threadName);
			thread.setDaemon(true);
			return thread;
		});
	}

	/**
	 * A scheduler that nobody shuts down, one per JVM (held in a static field): its one daemon
	 * thread ends once it has had nothing to do for {@code idleTime}, and the next task starts
	 * another. The thread is started by whichever caller schedules a task, so it takes neither
	 * that caller's context class loader nor its inheritable thread-locals: it would keep an
	 * application's classes alive after the application is undeployed.
	 * @param threadName the thread's name
	 * @param idleTime how long the thread waits for a task before it ends
	 * @return the scheduler
	 */
	public static ScheduledExecutorService createEndingWhenIdle(String threadName, Duration idleTime) {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(null, task, threadName, 0, false);
			thread.setDaemon(true);
			thread.setContextClassLoader(BackgroundScheduler.class.getClassLoader());
			return thread;
		});
		// The last thread never ends while a task is scheduled, however far ahead
		executor.setKeepAliveTime(idleTime.toNanos(), TimeUnit.NANOSECONDS);
		executor.allowCoreThreadTimeOut(true);
		return executor;
	}

}

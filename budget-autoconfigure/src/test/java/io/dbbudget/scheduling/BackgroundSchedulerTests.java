package io.dbbudget.scheduling;

import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link BackgroundScheduler}'s scheduler that ends its thread when idle: what a
 * redeployed application's caller must not leave behind in it.
 */
class BackgroundSchedulerTests {

	private static final InheritableThreadLocal<String> REQUEST = new InheritableThreadLocal<>();

	@Test
	void theThreadTakesNoCallersClassLoaderNorThreadLocalsAndEndsWhenIdle() throws Exception {
		ScheduledExecutorService executor = BackgroundScheduler.createEndingWhenIdle("test-ending-when-idle",
				Duration.ofMillis(100));
		try {
			AtomicReference<Thread> ran = new AtomicReference<>();
			AtomicReference<String> inherited = new AtomicReference<>();
			Thread caller = new Thread(() -> {
				REQUEST.set("a request of the caller's");
				executor.schedule(() -> {
					ran.set(Thread.currentThread());
					inherited.set(REQUEST.get());
				}, 10, TimeUnit.MILLISECONDS);
			}, "caller-of-a-redeployed-application");
			caller.setContextClassLoader(new URLClassLoader(new URL[0], getClass().getClassLoader()));
			caller.start();
			caller.join();
			await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() != null);
			Thread thread = ran.get();
			assertThat(thread.getName()).isEqualTo("test-ending-when-idle");
			assertThat(thread.isDaemon()).isTrue();
			assertThat(thread.getContextClassLoader()).isSameAs(BackgroundScheduler.class.getClassLoader());
			assertThat(inherited.get()).isNull();
			await().atMost(Duration.ofSeconds(5)).until(() -> !thread.isAlive());
			// The next task starts a thread again
			assertThat(executor.schedule(() -> Thread.currentThread(), 0, TimeUnit.MILLISECONDS).get(5, TimeUnit.SECONDS))
				.isNotSameAs(thread);
		}
		finally {
			executor.shutdownNow();
		}
	}

}

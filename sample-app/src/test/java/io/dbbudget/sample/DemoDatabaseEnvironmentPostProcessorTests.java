package io.dbbudget.sample;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link DemoDatabaseEnvironmentPostProcessor}, with a real demo PostgreSQL.
 */
@ExtendWith(OutputCaptureExtension.class)
class DemoDatabaseEnvironmentPostProcessorTests {

	private static final DeferredLogFactory LOGS = (log) -> log.get();

	@Test
	void aConfiguredUrlIsLeftAloneAndNoServerStarts() throws IOException {
		MockEnvironment environment = new MockEnvironment().withProperty("spring.datasource.url",
				"jdbc:postgresql://db.internal:5432/orders");
		SpringApplication application = new SpringApplication();
		int listenersBefore = application.getListeners().size();
		new DemoDatabaseEnvironmentPostProcessor(LOGS, nothingListening()).postProcessEnvironment(environment,
				application);
		assertThat(environment.getProperty("spring.datasource.url")).isEqualTo("jdbc:postgresql://db.internal:5432/orders");
		assertThat(environment.getPropertySources().contains("demoPostgres")).isFalse();
		assertThat(application.getListeners()).hasSize(listenersBefore);
	}

	@Test
	void aServerListeningLocallyIsUsed(CapturedOutput output) throws IOException {
		try (ServerSocket local = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
			StandardEnvironment environment = new StandardEnvironment();
			new DemoDatabaseEnvironmentPostProcessor(LOGS, new InetSocketAddress("127.0.0.1", local.getLocalPort()))
				.postProcessEnvironment(environment, new SpringApplication());
			assertThat(environment.getProperty("spring.datasource.url"))
				.isEqualTo("jdbc:postgresql://127.0.0.1:" + local.getLocalPort() + "/postgres");
			assertThat(environment.getPropertySources().contains("demoPostgres")).isFalse();
			assertThat(output).doesNotContain("DEMO DATABASE");
		}
	}

	@Test
	void withNothingListeningADemoServerServesUntilTheContextCloses(CapturedOutput output) throws Exception {
		StandardEnvironment environment = new StandardEnvironment();
		SpringApplication application = new SpringApplication();
		List<ApplicationListener<?>> added = postProcess(environment, application);
		String url = environment.getProperty("spring.datasource.url");
		assertThat(url).startsWith("jdbc:postgresql://127.0.0.1:");
		assertThat(output).contains("DEMO DATABASE").contains("deleted on exit").contains("SPRING_DATASOURCE_URL");
		Path directory = Path.of(output.toString().replaceAll("(?s).*data in (\\S+), deleted on exit.*", "$1"));
		assertThat(directory).isDirectory();
		try (GenericApplicationContext context = new GenericApplicationContext()) {
			publish(added, new ApplicationPreparedEvent(application, new String[0], context));
			context.refresh();
			try (Connection connection = DriverManager.getConnection(url, environment.getProperty("spring.datasource.username"),
					environment.getProperty("spring.datasource.password"));
					Statement statement = connection.createStatement();
					ResultSet result = statement.executeQuery("SELECT current_setting('server_version_num')::int")) {
				result.next();
				assertThat(result.getInt(1)).isGreaterThanOrEqualTo(160000);
			}
		}
		assertThat(directory).doesNotExist();
		assertThatExceptionOfType(SQLException.class).isThrownBy(() -> DriverManager.getConnection(url, "postgres", ""));
	}

	@Test
	void aFailedStartStopsTheDemoServer(CapturedOutput output) {
		SpringApplication application = new SpringApplication();
		List<ApplicationListener<?>> added = postProcess(new StandardEnvironment(), application);
		Path directory = Path.of(output.toString().replaceAll("(?s).*data in (\\S+), deleted on exit.*", "$1"));
		assertThat(directory).isDirectory();
		publish(added, new ApplicationFailedEvent(application, new String[0], null,
				new IllegalStateException("start-up failed")));
		assertThat(directory).doesNotExist();
	}

	// Returns the listeners it added to the application, which the tests call as Boot would.
	private static List<ApplicationListener<?>> postProcess(StandardEnvironment environment,
			SpringApplication application) {
		List<ApplicationListener<?>> before = List.copyOf(application.getListeners());
		new DemoDatabaseEnvironmentPostProcessor(LOGS, nothingListening()).postProcessEnvironment(environment,
				application);
		return application.getListeners().stream().filter((listener) -> !before.contains(listener)).toList();
	}

	@SuppressWarnings("unchecked")
	private static void publish(List<ApplicationListener<?>> listeners, ApplicationEvent event) {
		for (ApplicationListener<?> listener : listeners) {
			((ApplicationListener<ApplicationEvent>) listener).onApplicationEvent(event);
		}
	}

	// A port that was free a moment ago: nothing listens there.
	private static InetSocketAddress nothingListening() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
			return new InetSocketAddress("127.0.0.1", socket.getLocalPort());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}

package io.dbbudget.test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A web application with every auto-configuration of the test class path, on a random port
 * and a {@link TestDatabase}, for tests that call actuator over real HTTP.
 */
public final class TestWebApplication implements AutoCloseable {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	private final ConfigurableApplicationContext context;

	private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

	private final URI base;

	private TestWebApplication(ConfigurableApplicationContext context) {
		this.context = context;
		this.base = URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
	}

	/**
	 * Starts an application on a database.
	 * @param database the database, whose role the pool connects as
	 * @param properties more properties, {@code name=value}
	 * @return the running application
	 */
	public static TestWebApplication start(TestDatabase database, String... properties) {
		List<String> all = new ArrayList<>(List.of("server.port=0", "server.address=127.0.0.1",
				"spring.datasource.url=" + database.jdbcUrl(), "spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "spring.main.banner-mode=off"));
		all.addAll(List.of(properties));
		return new TestWebApplication(new SpringApplicationBuilder(Application.class).web(WebApplicationType.SERVLET)
			.properties(all.toArray(String[]::new))
			.run());
	}

	/**
	 * The application context.
	 * @return the context
	 */
	public ConfigurableApplicationContext context() {
		return this.context;
	}

	/**
	 * Sends a GET request.
	 * @param path the path, for example {@code /actuator/health}
	 * @return the response
	 */
	public HttpResponse<String> get(String path) {
		return send("GET", path);
	}

	/**
	 * Sends a POST request without a body.
	 * @param path the path
	 * @return the response
	 */
	public HttpResponse<String> post(String path) {
		return send("POST", path);
	}

	/**
	 * Sends a DELETE request.
	 * @param path the path
	 * @return the response
	 */
	public HttpResponse<String> delete(String path) {
		return send("DELETE", path);
	}

	/**
	 * Sends a request without a body.
	 * @param method the HTTP method
	 * @param path the path
	 * @return the response
	 */
	public HttpResponse<String> send(String method, String path) {
		HttpRequest request = HttpRequest.newBuilder(this.base.resolve(path))
			.method(method, HttpRequest.BodyPublishers.noBody())
			.header("Accept", "application/json")
			.timeout(TIMEOUT)
			.build();
		try {
			return this.client.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new IllegalStateException(method + " " + path + " failed: " + ex.getMessage(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(method + " " + path + " was interrupted", ex);
		}
	}

	@Override
	public void close() {
		this.context.close();
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

	}

}

package io.dbbudget.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Removes the directories that servers and unpacked binaries leave behind.
 *
 * @author db-budget team
 */
public final class Directories {

	private Directories() {
	}

	/**
	 * Deletes a directory and everything in it, without following symbolic links; does nothing
	 * if it does not exist.
	 * @param directory the directory
	 */
	public static void delete(Path directory) {
		if (!Files.exists(directory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not delete " + directory, ex);
		}
	}

}

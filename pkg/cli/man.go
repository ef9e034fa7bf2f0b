package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/halite/halite/pkg/version"
)

// ManCmd writes the binary's man pages (one per command, section 1) into
// a directory: `make package` ships them. Hidden: it is for packagers.
func ManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the man pages into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return Exit(1, err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // reproducible pages: no date
			hdr := &doc.GenManHeader{Section: "1", Source: "Halite " + version.Version, Manual: "Halite manual"}
			if err := doc.GenManTree(root, hdr, args[0]); err != nil {
				return Exit(1, fmt.Errorf("man pages: %w", err))
			}
			return nil
		},
	}
}
